import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { fileKind } from '../process/file-kind.ts';

/** A signed URL is a few kilobytes at most; a larger file is not one. */
const maxUrlFileBytes = 64 * 1024;

/**
 * The URL held in a file (ARTIFACT_URL_FILE), such as a Secret volume that
 * the kubelet keeps current: read once, at the edge, with a leading UTF-8 BOM
 * (an editor's) dropped and trailing whitespace (the newline an editor or
 * `echo` adds) trimmed. Only a regular file of at most 64 KiB is read, so
 * the read is bounded: the open does not wait (a FIFO would block it until a
 * writer came), and what was opened is checked, not the path, before a byte
 * is read (a FIFO would never end, /dev/zero never either). Throws a plain
 * message that names the file and never its contents; `parseArtifactUrl`
 * checks the rest.
 */
export function readUrlFile(path: string): string {
  const url = decode(readBounded(path)).replace(/\s+$/, '');
  if (url === '') throw new Error(`${path} is empty; expected one line holding the signed URL`);
  if (/\s/.test(url)) {
    // The URL parser would silently drop a newline inside it: refuse two lines rather than join them.
    throw new Error(
      `${path} holds more than one line or a space; expected one line holding the signed URL (contents not shown)`,
    );
  }
  return url;
}

/** The file's bytes, when it is a regular file of at most maxUrlFileBytes. */
function readBounded(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    throw new Error(unreadable(path, error));
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      throw new Error(
        `${path} is ${fileKind(stats)}; expected a regular file holding the signed URL`,
      );
    }
    if (stats.size > maxUrlFileBytes) throw new Error(tooLarge(path, `${stats.size} bytes`));
    // One byte more than allowed, so a file that grew since fstat is caught too.
    const bytes = readUpTo(path, fd, maxUrlFileBytes + 1);
    if (bytes.length > maxUrlFileBytes) {
      throw new Error(tooLarge(path, `over ${maxUrlFileBytes} bytes`));
    }
    return bytes;
  } finally {
    closeSync(fd);
  }
}

function readUpTo(path: string, fd: number, limit: number): Buffer {
  const buffer = Buffer.alloc(limit);
  let length = 0;
  try {
    for (let read = -1; read !== 0 && length < limit; length += read) {
      read = readSync(fd, buffer, length, limit - length, null);
    }
  } catch (error) {
    throw new Error(unreadable(path, error));
  }
  return buffer.subarray(0, length);
}

function tooLarge(path: string, size: string): string {
  return `${path} is ${size}, too large to hold a signed URL; expected at most ${maxUrlFileBytes} bytes`;
}

/** UTF-8 text without a leading byte order mark, which some editors write. */
function decode(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

function unreadable(path: string, error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return `cannot read ${path}: no such file (is the Secret volume mounted?)`;
  if (code === 'EACCES') {
    return `cannot read ${path}: permission denied (the loader runs as UID 1000: mount the Secret with defaultMode 0440 and fsGroup 1000, or 0444)`;
  }
  if (typeof code === 'string') return `cannot read ${path} (${code})`;
  return error instanceof Error ? error.message : String(error);
}
