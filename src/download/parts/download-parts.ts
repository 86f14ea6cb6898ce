import type { TempArtifact } from '../../artifact/temp-artifact.ts';
import { LoaderError, PartMismatchError } from '../../errors.ts';
import { discardBody } from '../http/request.ts';
import type { DownloadSession } from '../session.ts';
import { attemptPart } from './attempt.ts';
import type { FirstPart } from './first-part.ts';
import type { Part } from './part.ts';
import type { PartState } from './part-state.ts';

export type PartsOutcome =
  | { readonly kind: 'done'; readonly resumedBytes: number }
  /** A part did not come back as asked: the caller starts over on one connection. */
  | { readonly kind: 'mismatch'; readonly reason: string; readonly writtenBytes: number };

/**
 * Fetches the parts `connections` at a time, in order, each in its own
 * retry loop (resuming at its own offset), written in place into `temp`. As
 * the parts at the start of the file complete, the digest follows them,
 * reading the bytes back from the page cache while later parts are still
 * arriving, so little is left to hash after the last byte. The first part
 * that fails for good stops the others (one AbortController for the phase,
 * under the run's signal), and only once every part and the digest have
 * settled, so nothing touches the file after the caller has moved on. A
 * mismatch is returned, not thrown: the bytes written may be of two versions.
 */
export async function downloadParts(
  session: DownloadSession,
  temp: TempArtifact,
  parts: readonly Part[],
  first: FirstPart,
  connections: number,
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
      // Part 0 goes on in the loop of the first request, whose answer it takes over.
      const loop = index === 0 ? session.firstBytes : session.newLoop();
      await loop.run(
        () => {
          const response = opened;
          opened = undefined;
          return attemptPart(context, temp, state, first.validator, phaseSignal, response);
        },
        phaseSignal,
        session.onRetry(() => state.writtenBytes, index),
      );
    } catch (error) {
      failure ??= { error };
      phase.abort(error);
      throw error;
    }
  };

  // The digest follows the prefix of completed parts; one read-back at a time.
  const completed = states.map(() => false);
  let prefixParts = 0;
  let hashing: Promise<void> = Promise.resolve();
  const partDone = (index: number) => {
    completed[index] = true;
    while (completed[prefixParts] === true) prefixParts += 1;
    const prefixEnd = (states[prefixParts - 1]?.part.lastByte ?? -1) + 1;
    hashing = hashing.then(() => temp.hashThrough(prefixEnd, phaseSignal));
    hashing.catch((error: unknown) => {
      failure ??= { error };
      phase.abort(error);
    });
  };

  let nextPart = 0;
  const worker = async () => {
    for (let state = states[nextPart++]; state !== undefined; state = states[nextPart++]) {
      if (phaseSignal.aborted) return;
      await fetchPart(state);
      partDone(state.part.index);
    }
  };
  try {
    await Promise.allSettled(Array.from({ length: connections }, worker));
    await hashing.catch(() => {});
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
  // Normally a no-op by now: the digest has followed every part.
  await temp.hashThrough(session.context.expectedSizeBytes, signal);
  return {
    kind: 'done',
    resumedBytes: states.reduce((sum, state) => sum + state.resumedBytes, 0),
  };
}
