import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { fileKind } from './file-kind.ts';

/** What a small file read at the edge holds, in the words of its errors. */
export interface SmallFile {
  readonly path: string;
  /** How errors name the file: its path, or the setting and the path. */
  readonly name: string;
  /** `the signed URL`: in "expected a regular file holding …". */
  readonly holding: string;
  /** `a signed URL`: in "too large to hold …". */
  readonly tooLargeFor: string;
  readonly maxBytes: number;
  /** The kind of volume it usually comes from, for "is the … volume mounted?" (default `Secret`). */
  readonly volume?: string;
}

/**
 * The bytes of a small file read once at the edge (ARTIFACT_URL_FILE,
 * ARTIFACT_PUBLIC_KEY_FILE, the registry auth file), such as a Secret or
 * ConfigMap volume. Only a regular file of at
 * most `maxBytes` is read, so the read is bounded: the open does not wait (a
 * FIFO would block it until a writer came), and what was opened is checked,
 * not the path, before a byte is read (a FIFO would never end, /dev/zero
 * never either). Throws a plain Error that names the file, never its
 * contents, and says what to check.
 */
export function readSmallFile(file: SmallFile): Buffer {
  let fd: number;
  try {
    fd = openSync(file.path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    throw new Error(unreadable(file, error));
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      throw new Error(
        `${file.name} is ${fileKind(stats)}; expected a regular file holding ${file.holding}`,
      );
    }
    if (stats.size > file.maxBytes) throw new Error(tooLarge(file, `${stats.size} bytes`));
    // One byte more than allowed, so a file that grew since fstat is caught too.
    const bytes = readUpTo(file, fd, file.maxBytes + 1);
    if (bytes.length > file.maxBytes)
      throw new Error(tooLarge(file, `over ${file.maxBytes} bytes`));
    return bytes;
  } finally {
    closeSync(fd);
  }
}

/** The file's text, UTF-8, without the leading byte order mark some editors write. */
export function readSmallText(file: SmallFile): string {
  const text = readSmallFile(file).toString('utf8');
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

function readUpTo(file: SmallFile, fd: number, limit: number): Buffer {
  const buffer = Buffer.alloc(limit);
  let length = 0;
  try {
    for (let read = -1; read !== 0 && length < limit; length += read) {
      read = readSync(fd, buffer, length, limit - length, null);
    }
  } catch (error) {
    throw new Error(unreadable(file, error));
  }
  return buffer.subarray(0, length);
}

function tooLarge(file: SmallFile, size: string): string {
  return `${file.name} is ${size}, too large to hold ${file.tooLargeFor}; expected at most ${file.maxBytes} bytes`;
}

function unreadable({ name, volume = 'Secret' }: SmallFile, error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT')
    return `cannot read ${name}: no such file (is the ${volume} volume mounted?)`;
  if (code === 'EACCES') {
    return `cannot read ${name}: permission denied (the loader runs as UID 1000: mount the ${volume} with defaultMode 0440 and fsGroup 1000, or 0444)`;
  }
  if (typeof code === 'string') return `cannot read ${name} (${code})`;
  return error instanceof Error ? error.message : String(error);
}
