import type { IncomingHttpHeaders } from 'node:http';

/** What identifies one version of the object, taken from the response that began the file. */
export interface Validator {
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
}

/**
 * The validator to resume with, or undefined when resuming is unsafe
 * (RFC 9110 §13.1.5): a strong ETag; or, only when there is no ETag at all,
 * a Last-Modified date that is strong, i.e. at least one second older than the
 * response's Date (§8.8.2.2). A weak ETag proves nothing byte for byte.
 */
export function validatorOf(headers: IncomingHttpHeaders): Validator | undefined {
  const { etag } = headers;
  if (typeof etag === 'string')
    return etag.startsWith('W/') ? undefined : { etag, lastModified: undefined };
  const lastModified = headers['last-modified'];
  if (typeof lastModified !== 'string') return undefined;
  const modifiedAt = Date.parse(lastModified);
  const sentAt = Date.parse(headers.date ?? '');
  if (Number.isNaN(modifiedAt) || Number.isNaN(sentAt) || sentAt - modifiedAt < 1000)
    return undefined;
  return { etag: undefined, lastModified };
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
  if (kept.etag !== undefined) return headers.etag === kept.etag;
  return headers.etag === undefined && headers['last-modified'] === kept.lastModified;
}
