import type { BigIntStats } from 'node:fs';
import type { FileValidators } from './range.ts';

/**
 * A strong ETag from the inode, size and modification time in nanoseconds:
 * replacing the file (a new inode after an atomic rename) or rewriting it in
 * place both change it, without reading the content. Last-Modified is strong
 * only once the file is at least a second older than the response.
 */
export function validatorsFor(stats: BigIntStats, now: Date): FileValidators {
  const parts = [stats.ino, stats.size, stats.mtimeNs].map((value) => value.toString(36));
  const modifiedMs = Number(stats.mtimeNs / 1_000_000n);
  return {
    etag: `"${parts.join('-')}"`,
    lastModified: new Date(modifiedMs).toUTCString(),
    lastModifiedIsStrong: now.getTime() - modifiedMs >= 1000,
  };
}
