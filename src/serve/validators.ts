/**
 * The file's validators (a strong ETag, Last-Modified) and the preconditions
 * a request puts on them (RFC 9110 §8.8, §13): what makes a 304.
 */
import type { BigIntStats } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';

export interface FileValidators {
  /** Strong entity tag, quotes included. */
  readonly etag: string;
  /** HTTP-date of the file's modification time. */
  readonly lastModified: string;
  /** False when the file changed within the last second: the date then proves nothing (RFC 9110 §8.8.2.2). */
  readonly lastModifiedIsStrong: boolean;
}

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

/**
 * Whether a GET or HEAD is answered 304 Not Modified (RFC 9110 §13.2.2):
 * If-None-Match first, compared weakly (§13.1.2), `*` matching any current
 * file; If-Modified-Since only when there is no If-None-Match (§13.1.3).
 * They come before Range and If-Range: a 304 is sent even for a Range request.
 * If-Match and If-Unmodified-Since are not evaluated (no method here changes state).
 */
export function isNotModified(
  method: string | undefined,
  headers: IncomingHttpHeaders,
  validators: FileValidators,
  now: Date,
): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined) return noneMatchFails(ifNoneMatch, validators.etag);
  const ifModifiedSince = headers['if-modified-since'];
  if (ifModifiedSince === undefined) return false;
  // One HTTP-date (IMF-fixdate has one comma); anything else is ignored (§13.1.3),
  // and so is a date later than the server's clock, which cannot be a copy's Last-Modified.
  const since = Date.parse(ifModifiedSince);
  const commas = ifModifiedSince.split(',').length - 1;
  if (Number.isNaN(since) || commas > 1 || since > now.getTime()) return false;
  // Last-Modified has one-second resolution: the file is unmodified when its date is not later.
  return Date.parse(validators.lastModified) <= since;
}

/** True when the field lists `*` or an entity tag weakly equal to the file's. */
function noneMatchFails(field: string, etag: string): boolean {
  if (field.trim() === '*') return true;
  const opaque = opaqueTag(etag);
  return listedTags(field).some((tag) => opaqueTag(tag) === opaque);
}

/** The entity tags of an If-None-Match list; a tag may itself contain commas (§8.8.3). */
function listedTags(field: string): string[] {
  return [...field.matchAll(/(?:W\/)?"[^"]*"/g)].map(([tag]) => tag);
}

/** Weak comparison ignores the W/ prefix (§8.8.3.2). */
function opaqueTag(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}
