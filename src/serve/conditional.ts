import type { IncomingHttpHeaders } from 'node:http';
import type { FileValidators } from './range.ts';

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
