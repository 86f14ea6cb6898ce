// What the built bundle holds, read by the tests on their own from the build's
// metafile (dist/runtime-loader.meta.json, `npm run build`) and package-lock.json,
// to check the SBOM and the licence file against it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const repoRoot = new URL('../../', import.meta.url).pathname;

export interface HeldPackage {
  /** Its folder as package-lock.json keys it: node_modules/undici. */
  readonly path: string;
  readonly name: string;
  /** The version package-lock.json locks. */
  readonly version: string;
  /** pkg:npm/NAME@VERSION, the scope's @ encoded. */
  readonly purl: string;
}

/** Every npm package with bytes in dist/runtime-loader.mjs, at its locked version, sorted by purl. */
export async function packagesInBundle(): Promise<HeldPackage[]> {
  const readJson = async (path: string) => JSON.parse(await readFile(join(repoRoot, path), 'utf8'));
  const metafile = await readJson('dist/runtime-loader.meta.json');
  const lock = await readJson('package-lock.json');
  const inputs = metafile.outputs['dist/runtime-loader.mjs'].inputs as Record<
    string,
    { bytesInOutput: number }
  >;
  const held = new Map<string, string>();
  for (const [input, { bytesInOutput }] of Object.entries(inputs)) {
    const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
    if (match?.[1] !== undefined && match[2] !== undefined && bytesInOutput > 0) {
      held.set(match[1], match[2]);
    }
  }
  return [...held]
    .map(([path, name]) => {
      const version = lock.packages[path].version as string;
      return { path, name, version, purl: `pkg:npm/${name.replace(/^@/, '%40')}@${version}` };
    })
    .sort((a, b) => a.purl.localeCompare(b.purl));
}
