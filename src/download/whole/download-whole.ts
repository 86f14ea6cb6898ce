import type { TempArtifact } from '../../artifact/temp-artifact.ts';
import { discardBody, type Response } from '../http/request.ts';
import type { RetryLoop } from '../retry/retry.ts';
import type { DownloadSession } from '../session.ts';
import { attemptWhole, type ResumeState } from './attempt.ts';

/**
 * The whole file on one connection: attempts in `loop`, each resuming where
 * the last stopped when that is provably safe. `handedOver` is the answer (a
 * 200) to a first request made in the same loop, streamed instead of asking
 * again. Returns the bytes resumed (kept from failed attempts and not fetched
 * again).
 */
export async function downloadWhole(
  session: DownloadSession,
  temp: TempArtifact,
  loop: RetryLoop,
  signal: AbortSignal,
  handedOver?: Response,
): Promise<number> {
  const state: ResumeState = { validator: undefined, resumedBytes: 0 };
  let opened = handedOver;
  try {
    await loop.run(
      () => {
        session.progress.restart(temp.bytesWritten);
        const response = opened;
        opened = undefined;
        return session.fromSources(
          (context) => attemptWhole(context, temp, state, signal, response),
          signal,
        );
      },
      signal,
      session.onRetry({ keptBytes: () => temp.bytesWritten }),
    );
  } finally {
    // Not taken when the run was aborted before the first attempt.
    if (opened !== undefined) discardBody(opened.body);
  }
  return state.resumedBytes;
}
