import type { TempArtifact } from '../../artifact/temp-artifact.ts';
import { discardBody, type Response } from '../http/request.ts';
import { retry } from '../retry/retry.ts';
import type { DownloadSession } from '../session.ts';
import { attemptDownload } from './attempt.ts';
import type { ResumeState } from './resume-state.ts';

/** Where a one-connection download begins when a first request was already made. */
export interface WholeStart {
  /** Number of its first attempt: it carries on from the first request's. */
  readonly attempt: number;
  /** That request's answer (a 200), to stream instead of asking again. */
  readonly response?: Response | undefined;
}

/**
 * The whole file on one connection: attempts wrapped in the retry policy, each
 * resuming where the last stopped when that is provably safe. Returns the
 * bytes resumed (kept from failed attempts and not fetched again).
 */
export async function downloadWhole(
  session: DownloadSession,
  temp: TempArtifact,
  signal: AbortSignal,
  start: WholeStart = { attempt: 1 },
): Promise<number> {
  const state: ResumeState = { validator: undefined, resumedBytes: 0 };
  let handedOver = start.response;
  try {
    await retry(
      () => {
        session.progress.restart(temp.bytesWritten);
        const opened = handedOver;
        handedOver = undefined;
        return attemptDownload(session.context, temp, state, signal, opened);
      },
      { ...session.policy, firstAttempt: start.attempt },
      signal,
      session.onRetry(() => temp.bytesWritten),
    );
  } finally {
    // Not taken when the run was aborted before the first attempt.
    if (handedOver !== undefined) discardBody(handedOver.body);
  }
  return state.resumedBytes;
}
