import type { IncomingHttpHeaders } from 'node:http';

/** What identifies one version of the object, taken from the response that began the file. */
export interface Validator {
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
}

/**
 * The validator to resume with, or undefined when resuming is unsafe. A weak
 * ETag (W/"...") cannot be used in If-Range (RFC 9110 §13.1.5): only a strong
 * ETag, or else Last-Modified, is kept.
 */
export function validatorOf(headers: IncomingHttpHeaders): Validator | undefined {
  const etag =
    typeof headers.etag === 'string' && !headers.etag.startsWith('W/') ? headers.etag : undefined;
  const lastModified =
    typeof headers['last-modified'] === 'string' ? headers['last-modified'] : undefined;
  if (etag === undefined && lastModified === undefined) return undefined;
  return { etag, lastModified };
}

/** Range + If-Range asking for the rest of the object only if it is still the same version (RFC 9110 §14.2, §13.1.5). */
export function resumeHeaders(offsetBytes: number, validator: Validator): Record<string, string> {
  const ifRange = validator.etag ?? validator.lastModified;
  return ifRange === undefined ? {} : { range: `bytes=${offsetBytes}-`, 'if-range': ifRange };
}

export interface ContentRange {
  readonly firstByte: number;
  readonly lastByte: number;
  readonly totalBytes: number | undefined;
}

/** Parses `Content-Range: bytes first-last/total` (RFC 9110 §14.4); undefined when malformed. */
export function parseContentRange(value: string | string[] | undefined): ContentRange | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  const match =
    raw === undefined ? null : /^bytes ([0-9]+)-([0-9]+)\/([0-9]+|\*)$/.exec(raw.trim());
  if (match === null) return undefined;
  const [, first, last, total] = match;
  const firstByte = Number(first);
  const lastByte = Number(last);
  if (!Number.isSafeInteger(firstByte) || !Number.isSafeInteger(lastByte) || lastByte < firstByte)
    return undefined;
  return { firstByte, lastByte, totalBytes: total === '*' ? undefined : Number(total) };
}

/** True when a 206 still comes from the object the kept bytes came from. */
export function sameVersion(kept: Validator, headers: IncomingHttpHeaders): boolean {
  const now = validatorOf(headers);
  if (kept.etag !== undefined) return now?.etag === kept.etag;
  return now?.lastModified === kept.lastModified;
}
