/**
 * Paths inside an image's layers. Tar writers spell the same file `app.jar`,
 * `./app.jar` or `/app.jar`; all are compared as a path relative to the
 * layer's root, cleaned as docker cleans entry names before applying a
 * layer. Whiteouts are the OCI layer spec's (layer.md, "Whiteouts"):
 * `.wh.NAME` removes NAME from the layers below, and `.wh..wh..opq` removes
 * everything below in its folder; either applies to lower layers only.
 */
import { whiteoutPrefix } from '../oci/image-path.ts';

const opaqueWhiteout = '.wh..wh..opq';

/** An entry's name relative to the layer's root (`''` for the root); undefined when it climbs out of it. */
export function entryPathOf(name: string): string | undefined {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') parts.push(part);
    else if (parts.pop() === undefined) return undefined;
  }
  return parts.join('/');
}

/**
 * What an entry at `path` means for `target` (both relative, cleaned):
 * the target itself; a whiteout that hides it from lower layers; a parent
 * folder of it (which hides it too, unless it is a folder); or nothing.
 */
export type PathRelation = 'target' | 'whiteout' | 'parent' | 'unrelated';

export function relationOf(path: string, target: string): PathRelation {
  if (path === target) return 'target';
  const slash = path.lastIndexOf('/');
  const folder = path.slice(0, slash + 1);
  const name = path.slice(slash + 1);
  if (name === opaqueWhiteout) return target.startsWith(folder) ? 'whiteout' : 'unrelated';
  if (name.startsWith(`${whiteoutPrefix}${whiteoutPrefix}`)) return 'unrelated';
  if (name.startsWith(whiteoutPrefix)) {
    const removed = `${folder}${name.slice(whiteoutPrefix.length)}`;
    return isSameOrParent(removed, target) ? 'whiteout' : 'unrelated';
  }
  return isSameOrParent(path, target) ? 'parent' : 'unrelated';
}

function isSameOrParent(path: string, target: string): boolean {
  return path === target || target.startsWith(`${path}/`);
}
