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

/**
 * Range + If-Range asking for bytes from `offsetBytes` (to `lastByte`, or to the
 * end) only if the object is still the same version (RFC 9110 §14.2, §13.1.5):
 * a changed object answers 200 with all of itself instead.
 */
export function resumeHeaders(
  offsetBytes: number,
  validator: Validator,
  lastByte?: number,
): Record<string, string> {
  const ifRange = validator.etag ?? validator.lastModified;
  if (ifRange === undefined) return {};
  return { range: `bytes=${offsetBytes}-${lastByte ?? ''}`, 'if-range': ifRange };
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

/**
 * Why a 206 cannot be taken as bytes `firstByte`-`lastByte` of the version the
 * kept bytes belong to (RFC 9110 §14.4, §15.3.7), or undefined when it can.
 */
export function rangeProblem(
  headers: IncomingHttpHeaders,
  validator: Validator | undefined,
  firstByte: number,
  lastByte: number,
): string | undefined {
  const range = parseContentRange(headers['content-range']);
  if (range === undefined) return 'a 206 without a valid Content-Range';
  if (range.totalBytes === undefined) return 'a 206 whose Content-Range gives no total size';
  if (validator === undefined || !sameVersion(validator, headers))
    return 'a 206 from a changed object (validator differs)';
  if (range.firstByte !== firstByte || range.lastByte !== lastByte)
    return `a 206 for bytes ${range.firstByte}-${range.lastByte} when ${firstByte}-${lastByte} were asked for`;
  return undefined;
}
