import { FetchError, type LoaderError, SizeMismatchError } from '../errors.ts';
import { redactUrl } from '../log/redact.ts';
import type { UrlValidity } from '../plan/url-expiry.ts';
import { errorForStatus } from './classify.ts';
import { serverReasonOf } from './error-body.ts';
import type { Response } from './request.ts';
import { parseContentRange } from './resume.ts';
import { signatureTimeOf } from './signature-time.ts';

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
  return new FetchError(
    `server at ${redactUrl(response.url)} sent the artifact with Content-Encoding "${encoding.slice(0, 40)}" although identity was asked for; store the object without a Content-Encoding (S3: remove that metadata)`,
    { details: { contentEncoding: encoding.slice(0, 40) } },
  );
}

/** A size announced in a header must be ARTIFACT_EXPECTED_SIZE, before a byte is written. */
export function checkAnnouncedSize(
  announced: string | string[] | undefined,
  expected: number,
  where: string,
  header: string,
): void {
  if (typeof announced !== 'string' || !/^[0-9]+$/.test(announced)) return;
  if (Number(announced) !== expected) {
    throw new SizeMismatchError(
      `size mismatch: ${where} announces ${announced} bytes (${header}) but ARTIFACT_EXPECTED_SIZE is ${expected}; nothing was written`,
      { details: { expectedBytes: expected, announcedBytes: Number(announced) } },
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
 */
export async function unexpectedAnswerError(
  response: Response,
  expectedStatus: number,
  urlValidity: UrlValidity | undefined,
): Promise<LoaderError> {
  const where = redactUrl(response.url);
  if (response.status >= 200 && response.status < 300) {
    return new FetchError(
      `server answered ${response.status} for ${where}, expected ${expectedStatus}`,
    );
  }
  const serverReason = response.status >= 400 ? await serverReasonOf(response) : undefined;
  return errorForStatus(
    response.status,
    response.statusText,
    where,
    response.headers['retry-after'],
    serverReason,
    signatureTimeOf(response.status, serverReason, response.headers.date, urlValidity, Date.now()),
  );
}
