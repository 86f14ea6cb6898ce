import { DeadlineError, FetchError, type LoaderError, RejectedError } from '../../errors.ts';
import {
  artifactHeaders,
  discardBody,
  getFollowingRedirects,
  type Response,
} from '../http/request.ts';
import { unexpectedAnswerError } from '../http/unexpected-answer.ts';
import { firstPartRange } from '../parts/first-part.ts';
import type { Part } from '../parts/part.ts';
import type { DownloadSession } from '../session.ts';
import { conditionalHeaders, type ObjectVersion } from './object-version.ts';

/** What the server says of the verified file in place. */
export type Revalidation =
  /** 304: the object is the one on disk. */
  | { readonly kind: 'not-modified' }
  /** A 200 (or, asked with Range, a 206 or 416): the download's first answer, its body not yet read. */
  | { readonly kind: 'changed'; readonly response: Response }
  /** No answer about the object: a refused signature, or the server out of reach. */
  | { readonly kind: 'unanswered'; readonly error: LoaderError };

/**
 * The first request of a run that holds a verified file: a GET made
 * conditional on the recorded validators (RFC 9110 §13.1), through the same
 * retry policy as any attempt. It is the download's first request: with the
 * Range of part 0 when the artifact comes in parts (`firstPart`; RFC 9110
 * §13.2.2 weighs the condition before the range). A 304 ends the run with no
 * body sent; any other answer with bytes is handed over to be downloaded. A 401/403 (an expired or invalid signature;
 * GCS's 400 ExpiredToken too)
 * or a failure to reach the server (network, timeouts, 5xx after every
 * retry, the deadline) is returned, so the caller may keep the file. Anything
 * else (404, 410, another 4xx) and a signal are thrown as usual.
 */
export async function revalidate(
  session: DownloadSession,
  recorded: ObjectVersion,
  firstPart: Part | undefined,
  signal: AbortSignal,
): Promise<Revalidation> {
  const { context } = session;
  const headers = {
    ...artifactHeaders(context.userAgent),
    ...conditionalHeaders(recorded),
    ...(firstPart === undefined ? {} : firstPartRange(firstPart)),
  };
  // What a request for part 0 may get besides the 304: openingOf takes it from there.
  const handedOver = firstPart === undefined ? [200] : [200, 206, 416];
  try {
    // The first request of the download too: its attempts count against the first bytes.
    const response = await session.firstBytes.run(
      async () => {
        const answer = await getFollowingRedirects(context, context.url, headers, signal);
        if (answer.status === 304 || handedOver.includes(answer.status)) return answer;
        try {
          throw await unexpectedAnswerError(answer, 200, context.redactor, context.urlValidity);
        } finally {
          discardBody(answer.body);
        }
      },
      signal,
      session.onRetry(() => 0),
    );
    if (response.status !== 304) return { kind: 'changed', response };
    discardBody(response.body);
    return { kind: 'not-modified' };
  } catch (error) {
    if (isUnanswered(error)) return { kind: 'unanswered', error };
    throw error;
  }
}

function isUnanswered(error: unknown): error is LoaderError {
  if (error instanceof RejectedError) {
    const { status, serverReason } = error.details;
    // GCS answers an expired V4 signature with 400 ExpiredToken, not 403.
    const expiredToken =
      typeof serverReason === 'string' && serverReason.startsWith('ExpiredToken');
    return status === 401 || status === 403 || (status === 400 && expiredToken);
  }
  if (error instanceof DeadlineError) return true;
  // Network failures, and transient statuses (5xx, 429) that outlived their retries;
  // not an answer such as an unexpected 2xx or 3xx, which did reach the server.
  if (!(error instanceof FetchError)) return false;
  const { status } = error.details;
  return status === undefined || error.transient || (typeof status === 'number' && status >= 500);
}
