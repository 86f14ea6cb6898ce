import { constants, type FileHandle, open, readlink, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';

export type FileLookup =
  | { readonly found: true; readonly handle: FileHandle }
  | { readonly found: false; readonly status: 400 | 404 | 500; readonly reason: string };

/** Errors that mean "nothing servable there"; any other is the server's problem, not the URL's. */
const absentCodes = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG', 'ENXIO']);

function failedLookup(error: unknown): FileLookup {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  return absentCodes.has(code)
    ? { found: false, status: 404, reason: 'no such file' }
    : { found: false, status: 500, reason: `cannot open the file (${code})` };
}

/**
 * Decodes the path as sent on the wire into file-name segments, refusing
 * everything that could name something outside the folder or that the folder
 * does not publish: "." and ".." (plain or percent-encoded), encoded "/" or
 * "\", NUL, empty segments, and hidden names (a leading "."), which also
 * keeps the server's own secret file and temp files out of reach.
 */
export function pathSegments(rawPath: string): string[] | { status: 400 | 404; reason: string } {
  if (!rawPath.startsWith('/')) return { status: 400, reason: 'the path must start with "/"' };
  const segments: string[] = [];
  for (const raw of rawPath.slice(1).split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { status: 400, reason: 'malformed percent-encoding in the path' };
    }
    if (segment === '' || segment.startsWith('.') || /[/\\\0]/.test(segment)) {
      return { status: 404, reason: 'no such file' };
    }
    segments.push(segment);
  }
  return segments;
}

/**
 * Opens the regular file that `rawPath` names under `rootReal` (the folder's
 * real path). Symlinks inside the folder are followed only when they end
 * inside it: the real path is checked before opening, and the opened
 * descriptor's path again after, so swapping a directory for a symlink in
 * between gains nothing.
 */
export async function openPublishedFile(rootReal: string, rawPath: string): Promise<FileLookup> {
  const segments = pathSegments(rawPath);
  if (!Array.isArray(segments)) return { found: false, ...segments };
  const notFound = { found: false, status: 404, reason: 'no such file' } as const;
  let real: string;
  try {
    real = await realpath(join(rootReal, ...segments));
  } catch (error) {
    return failedLookup(error);
  }
  if (!isInside(rootReal, real)) return notFound;
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO must not hold a thread-pool thread waiting for a writer.
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    return failedLookup(error);
  }
  try {
    const stats = await handle.stat();
    if (stats.isFile() && isInside(rootReal, await openedPath(handle, real))) {
      return { found: true, handle };
    }
  } catch {
    // Fall through: what cannot be checked is not served.
  }
  await handle.close();
  return notFound;
}

/**
 * Where the descriptor really points, from /proc on Linux. Without /proc (a
 * developer's macOS) the real path checked before opening has to do.
 */
async function openedPath(handle: FileHandle, real: string): Promise<string> {
  try {
    return await readlink(`/proc/self/fd/${handle.fd}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && process.platform !== 'linux') {
      return real;
    }
    throw error;
  }
}

function isInside(rootReal: string, candidate: string): boolean {
  return candidate.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep);
}
