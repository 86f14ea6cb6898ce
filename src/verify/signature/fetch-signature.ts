import { readBoundedBody } from '../../download/http/bounded-body.ts';
import {
  artifactHeaders,
  discardBody,
  getFollowingRedirects,
  type Response,
} from '../../download/http/request.ts';
import { unexpectedAnswerError } from '../../download/http/unexpected-answer.ts';
import type { AttemptContext, DownloadSession } from '../../download/session.ts';
import { FetchError, RejectedError } from '../../errors.ts';
import { type UrlValidity, urlValidityOf } from '../../urls/expiry.ts';
import { redactUrl } from '../../urls/shown.ts';
import { signatureFailure } from './check.ts';

/** A detached signature is a few hundred bytes (a cosign bundle a few KiB): a larger answer is not one. */
export const maxSignatureBytes = 64 * 1024;

/**
 * The publisher's detached signature (ARTIFACT_SIGNATURE_URL), fetched before
 * the artifact, in the run's session: the same retry policy, timeouts and
 * redaction as the artifact's requests, and its retries count in the run's
 * attempts. A 404 or 410 is a rejection (exit 3) saying there is no
 * signature; every failure names the signature. An answer over 64 KiB is not
 * a signature (exit 6), refused before its body is read when its
 * Content-Length says so.
 */
export async function fetchSignature(
  session: DownloadSession,
  url: URL,
  signal: AbortSignal,
): Promise<Buffer> {
  const validity = urlValidityOf(url);
  return session
    .newLoop()
    .run(
      () => attemptSignature(session.context, url, validity, signal),
      signal,
      session.onRetry({ fetching: 'signature' }),
    );
}

/** One GET of the signature; knows nothing of retries. */
async function attemptSignature(
  context: AttemptContext,
  url: URL,
  validity: UrlValidity | undefined,
  signal: AbortSignal,
): Promise<Buffer> {
  const headers = artifactHeaders(context.userAgent);
  const response = await getFollowingRedirects(context, url, headers, signal).catch(
    (error: unknown) => {
      throw signal.aborted ? signal.reason : aboutTheSignature(error);
    },
  );
  try {
    const where = redactUrl(response.url);
    if (response.status === 404 || response.status === 410) {
      throw new RejectedError(
        `no signature at ${where}: the server answered ${response.status} (ARTIFACT_SIGNATURE_URL); publish the signature there, or correct the URL`,
        { details: { status: response.status } },
      );
    }
    if (response.status !== 200) {
      const error = await unexpectedAnswerError(response, 200, context.redactor, validity);
      throw aboutTheSignature(error);
    }
    const announced = Number(response.headers['content-length']);
    if (announced > maxSignatureBytes) throw tooLarge(where, `${announced} bytes`);
    return await bodyOf(response, where, signal);
  } finally {
    discardBody(response.body);
  }
}

/** The body, at most maxSignatureBytes of it; a break-off is the signature's fetch failure. */
async function bodyOf(response: Response, where: string, signal: AbortSignal): Promise<Buffer> {
  const body = await readBoundedBody(response, maxSignatureBytes, signal).catch(
    (error: unknown) => {
      throw signal.aborted ? error : aboutTheSignature(error);
    },
  );
  if (body.length > maxSignatureBytes) throw tooLarge(where, `over ${maxSignatureBytes} bytes`);
  return body;
}

function tooLarge(where: string, size: string) {
  return signatureFailure(
    'signature-unparseable',
    `the answer at ${where} (ARTIFACT_SIGNATURE_URL) is ${size}: not a signature, which is at most ${maxSignatureBytes} bytes`,
  );
}

/**
 * A failure to fetch the signature says so, as the same kind of error (the
 * same exit code, transient or not, the server's Retry-After), so its retry
 * events and the final failure are never taken for the artifact's.
 */
function aboutTheSignature(error: unknown): unknown {
  if (!(error instanceof FetchError || error instanceof RejectedError)) return error;
  const message = `fetching the signature (ARTIFACT_SIGNATURE_URL): ${error.message}`;
  const options = {
    cause: error,
    transient: error.transient,
    details: error.details,
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
  };
  return error instanceof RejectedError
    ? new RejectedError(message, options)
    : new FetchError(message, options);
}
