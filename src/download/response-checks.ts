import { FetchError, type LoaderError, SizeMismatchError } from '../errors.ts';
import { type Redactor, redactUrl } from '../log/redact.ts';
import type { UrlValidity } from '../plan/url-expiry.ts';
import { errorForStatus } from './classify.ts';
import { serverReasonOf, serverTextLine } from './error-body.ts';
import type { Response } from './request.ts';
import { parseContentRange } from './resume.ts';
import { signatureTimeOf } from './signature-time.ts';

/** A reason phrase longer than this is cut (after it is redacted). */
const maxStatusTextChars = 60;

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

/**
 * A size announced in a header must be ARTIFACT_EXPECTED_SIZE, before a byte
 * is written. Repeated values (as an array, or a list `1000, 1000`) count as
 * one when they are all the same, as RFC 9110 §8.6 allows a recipient to do;
 * different values are refused at once (RFC 9112 §6.3): no body can match both.
 */
export function checkAnnouncedSize(
  announced: string | string[] | undefined,
  expected: number,
  where: string,
  header: string,
): void {
  if (announced === undefined) return;
  const values = [announced].flat().flatMap((value) => value.split(',').map((v) => v.trim()));
  if (!values.every((value) => /^[0-9]+$/.test(value))) return;
  if (new Set(values.map(Number)).size > 1) {
    throw new FetchError(
      `server at ${where} announced conflicting sizes (${header}: ${values.slice(0, 4).join(', ')}); the response cannot be framed (RFC 9112 §6.3) and is not retried`,
      { details: { errorCode: 'INVALID_CONTENT_LENGTH' } },
    );
  }
  const [first = ''] = values;
  if (Number(first) !== expected) {
    throw new SizeMismatchError(
      `size mismatch: ${where} announces ${first} bytes (${header}) but ARTIFACT_EXPECTED_SIZE is ${expected}; nothing was written`,
      { details: { expectedBytes: expected, announcedBytes: Number(first) } },
    );
  }
}

/** The total of a 206's Content-Range, when it gives one, must be ARTIFACT_EXPECTED_SIZE. */
export function checkRangeTotal(response: Response, expected: number): void {
  const total = parseContentRange(response.headers['content-range'])?.totalBytes;
  if (total === undefined) return;
  checkAnnouncedSize(String(total), expected, redactUrl(response.url), 'Content-Range total');
}

/**
 * The error for an answer that is neither bytes nor a redirect: another 2xx,
 * or an error status with the server's own reason when it gives a short one,
 * read against the signed URL's validity window (expired, not valid yet).
 * The reason phrase and the body are server text, redacted as such.
 */
export async function unexpectedAnswerError(
  response: Response,
  expectedStatus: number,
  redactor: Redactor,
  urlValidity: UrlValidity | undefined,
): Promise<LoaderError> {
  const where = redactUrl(response.url);
  if (response.status >= 200 && response.status < 300) {
    return new FetchError(
      `server answered ${response.status} for ${where}, expected ${expectedStatus}`,
    );
  }
  const serverReason =
    response.status >= 400 ? await serverReasonOf(response, redactor) : undefined;
  return errorForStatus(
    response.status,
    serverTextLine(response.statusText, redactor, maxStatusTextChars) ?? '',
    where,
    response.headers['retry-after'],
    serverReason,
    signatureTimeOf(response.status, serverReason, response.headers.date, urlValidity, Date.now()),
  );
}
