import { FetchError } from '../../errors.ts';
import { redactUrl } from '../../log/redact-url.ts';
import type { Response } from '../http/request.ts';

/**
 * Refuses a 200 or 206 whose body is encoded. undici does not decode, and
 * encoded bytes are not the artifact: offsets, size and digest would all
 * describe something else, and a resume could splice two encodings together.
 */
export function encodedBodyError(response: Response): FetchError | undefined {
  const encoding = response.headers['content-encoding'];
  if (response.status !== 200 && response.status !== 206) return undefined;
  if (typeof encoding !== 'string' || encoding.trim().toLowerCase() === 'identity')
    return undefined;
  // A header is server text: shown only when it is what it should be, a short list of names.
  const shown = /^[A-Za-z0-9 ,._-]{1,40}$/.test(encoding) ? encoding : '(a value not shown)';
  return new FetchError(
    `server at ${redactUrl(response.url)} sent the artifact with Content-Encoding "${shown}" although identity was asked for; store the object without a Content-Encoding (S3: remove that metadata)`,
    { details: { contentEncoding: shown } },
  );
}
