import type { ByteSpan } from './range.ts';
import type { FileValidators } from './validators.ts';

/** What a 304 carries, and every 200/206 too (RFC 9110 §15.4.5). */
export function validatorHeaders(validators: FileValidators): Record<string, string> {
  return {
    etag: validators.etag,
    'last-modified': validators.lastModified,
    // Proxies must not compress or cache what a signature grants to one holder.
    'cache-control': 'private, no-transform',
  };
}

/** The headers of a 200, or of a 206 with its Content-Range. */
export function fileHeaders(
  validators: FileValidators,
  contentType: string,
  span: ByteSpan,
): Record<string, string | number> {
  const headers: Record<string, string | number> = {
    'accept-ranges': 'bytes',
    ...validatorHeaders(validators),
    'content-type': contentType,
    'content-length': span.lengthBytes,
  };
  if (span.partial) {
    headers['content-range'] = `bytes ${span.firstByte}-${span.lastByte}/${span.sizeBytes}`;
  }
  return headers;
}

/**
 * The headers a 416 adds to its own short text answer: the validators (so a
 * client can tell the file changed), but its own Content-Type and Cache-Control.
 */
export function unsatisfiableHeaders(
  validators: FileValidators,
  sizeBytes: number,
): Record<string, string> {
  return {
    'accept-ranges': 'bytes',
    etag: validators.etag,
    'last-modified': validators.lastModified,
    'content-range': `bytes */${sizeBytes}`,
  };
}
