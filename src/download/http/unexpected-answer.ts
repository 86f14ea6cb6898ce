import { FetchError, type LoaderError } from '../../errors.ts';
import type { Redactor } from '../../log/redact.ts';
import type { UrlValidity } from '../../urls/expiry.ts';
import { redactUrl } from '../../urls/shown.ts';
import { errorForStatus } from './classify.ts';
import { serverReasonOf, serverTextLine } from './error-body.ts';
import type { Response } from './request.ts';
import { signatureTimeOf } from './signature-time.ts';

/** A reason phrase longer than this is cut (after it is redacted). */
const maxStatusTextChars = 60;

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
      { details: { status: response.status } },
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
