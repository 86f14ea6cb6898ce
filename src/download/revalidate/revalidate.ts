import { DeadlineError, FetchError, type LoaderError, RejectedError } from '../../errors.ts';
import type { Redactor } from '../../log/redact.ts';
import { redactUrl } from '../../urls/shown.ts';
import { artifactHeaders, discardBody, type Response } from '../http/request.ts';
import { firstPartRange } from '../parts/first-part.ts';
import type { Part } from '../parts/part.ts';
import type { DownloadSession } from '../session.ts';
import {
  conditionalHeaders,
  type Mismatch,
  notModifiedMismatch,
  type ObjectVersion,
} from './object-version.ts';

/** How the request whose answer is handed over was asked. */
export type Asked =
  /** With the recorded validators. */
  | 'conditional'
  /** Without a condition: the record holds no validator to send. */
  | 'no-validator'
  /** Without a condition, after a 304 that did not match the record. */
  | 'after-untrusted-304';

/** What the server says of the verified file in place. */
export type Revalidation =
  /** A 304 to the conditional request, whose validators match the record: the object is the one on disk. */
  | { readonly kind: 'not-modified' }
  /** A 200 (or, asked with Range, a 206 or 416): the download's first answer, its body not yet read. */
  | { readonly kind: 'changed'; readonly response: Response; readonly asked: Asked }
  /** No answer about the object: a refused signature, or the server out of reach. */
  | { readonly kind: 'unanswered'; readonly error: LoaderError };

/**
 * The first request of a run that holds a verified file: a GET made
 * conditional on the recorded validators (RFC 9110 §13.1), through the same
 * retry policy as any attempt. It is the download's first request: with the
 * Range of part 0 when the artifact comes in parts (`firstPart`; RFC 9110
 * §13.2.2 weighs the condition before the range). A 304 ends the run with no
 * body sent, but only when it answers a conditional request and every
 * validator it carries matches the record (see notModifiedMismatch): any
 * other 304 is not trusted. One to a conditional request fails its attempt,
 * and the next asks again without a condition; one to a request without a
 * condition is an unexpected answer, as on a first run. Any other answer with
 * bytes is handed over to be downloaded. A 401/403 (an expired or invalid
 * signature; GCS's 400 ExpiredToken too) or a failure to reach the server
 * (network, timeouts, 5xx after every retry, the deadline) is returned, so the
 * caller may keep the file. Anything else (404, 410, another 4xx, a 304 not
 * trusted on the last attempt) and a signal are thrown as usual.
 */
export async function revalidate(
  session: DownloadSession,
  recorded: ObjectVersion,
  firstPart: Part | undefined,
  signal: AbortSignal,
): Promise<Revalidation> {
  const { context } = session;
  const unconditional = {
    ...artifactHeaders(context.userAgent),
    ...(firstPart === undefined ? {} : firstPartRange(firstPart)),
  };
  const conditions = conditionalHeaders(recorded);
  let asked: Asked = Object.keys(conditions).length > 0 ? 'conditional' : 'no-validator';
  // What a request for part 0 may get besides the 304: openingOf takes it from there.
  const handedOver = firstPart === undefined ? [200] : [200, 206, 416];
  try {
    // The first request of the download too: its attempts count against the first bytes.
    const response = await session.firstRequestLoop.run(
      async () => {
        const headers =
          asked === 'conditional' ? { ...unconditional, ...conditions } : unconditional;
        const answer = await context.source.get(context, headers, signal);
        if (handedOver.includes(answer.status)) return answer;
        if (answer.status === 304 && asked === 'conditional') {
          const mismatch = notModifiedMismatch(recorded, answer.headers);
          if (mismatch === undefined) return answer;
          discardBody(answer.body);
          asked = 'after-untrusted-304';
          throw untrustedError(mismatch, redactUrl(answer.url), context.redactor);
        }
        try {
          throw await context.answerError(answer, 200);
        } finally {
          discardBody(answer.body);
        }
      },
      signal,
      session.onRetry(),
    );
    if (response.status !== 304) return { kind: 'changed', response, asked };
    discardBody(response.body);
    return { kind: 'not-modified' };
  } catch (error) {
    if (isUnanswered(error)) return { kind: 'unanswered', error };
    throw error;
  }
}

/**
 * A 304 to the conditional request that does not answer for the recorded
 * version (a rollback, another object): the attempt fails, and the next asks
 * without a condition. The validators it carries are server text.
 */
function untrustedError(mismatch: Mismatch, where: string, redactor: Redactor): FetchError {
  const answered = redactor.scrubServerText(mismatch.answered);
  const recorded =
    mismatch.recorded === undefined
      ? `the verification record has no ${mismatch.validator}`
      : `the verification record has ${mismatch.recorded}`;
  return new FetchError(
    `${where} answered 304 Not Modified with the ${mismatch.validator} ${answered}, but ${recorded}: not trusted, asking again without a condition`,
    { transient: true, details: { status: 304, errorCode: 'UNTRUSTED_NOT_MODIFIED' } },
  );
}

/** No answer about the object: a refusal of the credentials (401/403), or the server out of reach. */
export function isUnanswered(error: unknown): error is LoaderError {
  if (error instanceof RejectedError) {
    const { status, serverReason } = error.details;
    // GCS answers an expired V4 signature with 400 ExpiredToken, not 403.
    const expiredToken =
      typeof serverReason === 'string' && serverReason.startsWith('ExpiredToken');
    return status === 401 || status === 403 || (status === 400 && expiredToken);
  }
  if (error instanceof DeadlineError) return true;
  // Network failures, and transient statuses (5xx, 429) that outlived their retries;
  // not an answer such as an unexpected 2xx or 3xx (an untrusted 304 too), which did
  // reach the server.
  if (!(error instanceof FetchError)) return false;
  const { status } = error.details;
  if (typeof status !== 'number') return status === undefined;
  return status >= 500 || (error.transient && status >= 400);
}
