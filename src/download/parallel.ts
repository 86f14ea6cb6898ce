import { LoaderError, PartMismatchError } from '../errors.ts';
import type { TempArtifact } from '../publish/temp-file.ts';
import { attemptPart, type PartState } from './part-attempt.ts';
import { discardBody, type Response } from './request.ts';
import type { Validator } from './resume.ts';
import { retry } from './retry.ts';
import type { Part } from './segments.ts';
import type { DownloadSession } from './session.ts';

/** The answer to the first request: part 0 under way, and the version it is of. */
export interface FirstPart {
  readonly response: Response;
  readonly validator: Validator;
  /** Attempts the first request took: part 0's retries carry on from them. */
  readonly attempts: number;
}

export type PartsOutcome =
  | { readonly kind: 'done'; readonly resumedBytes: number }
  /** A part did not come back as asked: the caller starts over on one connection. */
  | { readonly kind: 'mismatch'; readonly reason: string; readonly writtenBytes: number };

/**
 * Fetches every part at once, each on its own connection and in its own retry
 * loop (resuming at its own offset), written in place into `temp`; then hashes
 * the file in order. The first part that fails for good stops the others (one
 * AbortController for the phase, under the run's signal), and only once every
 * part has settled, so no write can land after the caller has moved on. A
 * mismatch is returned, not thrown: the bytes written may be of two versions.
 */
export async function downloadParts(
  session: DownloadSession,
  temp: TempArtifact,
  parts: readonly Part[],
  first: FirstPart,
  signal: AbortSignal,
): Promise<PartsOutcome> {
  const phase = new AbortController();
  const phaseSignal = AbortSignal.any([signal, phase.signal]);
  const states: PartState[] = parts.map((part) => ({ part, writtenBytes: 0, resumedBytes: 0 }));
  const receivedBytes = parts.map(() => 0);
  let receivedTotal = 0;
  let failure: { error: unknown } | undefined;

  const fetchPart = async (state: PartState) => {
    const { index } = state.part;
    const context = {
      ...session.context,
      onBytes: (bytes: number) => {
        receivedTotal += bytes - (receivedBytes[index] ?? 0);
        receivedBytes[index] = bytes;
        session.progress.update(receivedTotal);
      },
    };
    let opened = index === 0 ? first.response : undefined;
    try {
      await retry(
        () => {
          const response = opened;
          opened = undefined;
          return attemptPart(context, temp, state, first.validator, phaseSignal, response);
        },
        index === 0 ? { ...session.policy, firstAttempt: first.attempts } : session.policy,
        phaseSignal,
        session.onRetry(() => state.writtenBytes, index),
      );
    } catch (error) {
      failure ??= { error };
      phase.abort(error);
      throw error;
    }
  };

  try {
    await Promise.allSettled(states.map(fetchPart));
  } finally {
    discardBody(first.response.body);
  }
  const writtenBytes = states.reduce((sum, state) => sum + state.writtenBytes, 0);
  const error = signal.aborted ? signal.reason : failure?.error;
  if (error instanceof PartMismatchError) {
    return { kind: 'mismatch', reason: error.message, writtenBytes };
  }
  if (error instanceof LoaderError) error.details.bytes ??= writtenBytes;
  if (error !== undefined) throw error;
  await temp.hashFile(session.context.expectedSizeBytes, signal);
  return {
    kind: 'done',
    resumedBytes: states.reduce((sum, state) => sum + state.resumedBytes, 0),
  };
}
