import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { fileKind } from '../process/file-kind.ts';

/** A setting's value held in a file is a few kilobytes at most; a larger file is not one. */
const maxSettingFileBytes = 64 * 1024;

/** What a setting's file holds, for its messages. */
export interface SettingFileKind {
  /** `the signed URL`: "expected a regular file holding ..." */
  readonly holding: string;
  /** `a signed URL`: "too large to hold ..." */
  readonly tooLargeFor: string;
  /** The kind of volume it usually comes from: `Secret`, `ConfigMap or Secret`. */
  readonly volume: string;
}

/**
 * The text of a file that holds a setting's value (ARTIFACT_URL_FILE,
 * ARTIFACT_PUBLIC_KEY_FILE), such as a Secret or ConfigMap volume: read
 * once, at the edge, with a leading UTF-8 byte order mark (an editor's)
 * dropped. Only a regular file of at most 64 KiB is read, so the read is
 * bounded: the open does not wait (a FIFO would block it until a writer
 * came), and what was opened is checked, not the path, before a byte is read
 * (a FIFO would never end, /dev/zero never either). Throws a plain message
 * that names the file and never its contents.
 */
export function readSettingFile(path: string, kind: SettingFileKind): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    throw new Error(unreadable(path, error, kind));
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      throw new Error(
        `${path} is ${fileKind(stats)}; expected a regular file holding ${kind.holding}`,
      );
    }
    if (stats.size > maxSettingFileBytes) {
      throw new Error(tooLarge(path, `${stats.size} bytes`, kind));
    }
    // One byte more than allowed, so a file that grew since fstat is caught too.
    const bytes = readUpTo(path, fd, maxSettingFileBytes + 1, kind);
    if (bytes.length > maxSettingFileBytes) {
      throw new Error(tooLarge(path, `over ${maxSettingFileBytes} bytes`, kind));
    }
    return decode(bytes);
  } finally {
    closeSync(fd);
  }
}

function readUpTo(path: string, fd: number, limit: number, kind: SettingFileKind): Buffer {
  const buffer = Buffer.alloc(limit);
  let length = 0;
  try {
    for (let read = -1; read !== 0 && length < limit; length += read) {
      read = readSync(fd, buffer, length, limit - length, null);
    }
  } catch (error) {
    throw new Error(unreadable(path, error, kind));
  }
  return buffer.subarray(0, length);
}

function tooLarge(path: string, size: string, kind: SettingFileKind): string {
  return `${path} is ${size}, too large to hold ${kind.tooLargeFor}; expected at most ${maxSettingFileBytes} bytes`;
}

/** UTF-8 text without a leading byte order mark, which some editors write. */
function decode(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

function unreadable(path: string, error: unknown, { volume }: SettingFileKind): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT')
    return `cannot read ${path}: no such file (is the ${volume} volume mounted?)`;
  if (code === 'EACCES') {
    return `cannot read ${path}: permission denied (the loader runs as UID 1000: mount the ${volume} with defaultMode 0440 and fsGroup 1000, or 0444)`;
  }
  if (typeof code === 'string') return `cannot read ${path} (${code})`;
  return error instanceof Error ? error.message : String(error);
}
