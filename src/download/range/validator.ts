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

/** True when a 206 still comes from the object the kept bytes came from. */
export function sameVersion(kept: Validator, headers: IncomingHttpHeaders): boolean {
  if (kept.etag !== undefined) return headers.etag === kept.etag;
  return headers.etag === undefined && headers['last-modified'] === kept.lastModified;
}
