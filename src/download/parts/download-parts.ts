import type { TempArtifact } from '../../artifact/temp-artifact.ts';
import { discardBody } from '../http/request.ts';
import type { DownloadSession } from '../session.ts';
import { attemptPart } from './attempt.ts';
import type { FirstPart } from './first-part.ts';
import { OrderedDigest } from './ordered-digest.ts';
import type { Part, PartMismatch, PartState } from './part.ts';
import { Scheduler, type Stop } from './scheduler.ts';

export type PartsOutcome =
  | { readonly kind: 'done'; readonly resumedBytes: number }
  /** A part did not come back as asked: the caller starts over on one connection. */
  | { readonly kind: 'mismatch'; readonly reason: string; readonly writtenBytes: number };

/**
 * Fetches the parts `connections` at a time, in order (see Scheduler), each
 * in its own retry loop (resuming at its own offset), written in place into
 * `temp`, with the digest following the completed prefix (see OrderedDigest).
 * The first part that fails for good, or does not come back as asked, stops
 * the others, and only once every part and the digest have settled does this
 * return, so nothing touches the file after the caller has moved on. A
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
  const scheduler = new Scheduler<PartMismatch>(signal);
  const states: PartState[] = parts.map((part) => ({ part, writtenBytes: 0, resumedBytes: 0 }));
  const progress = new CombinedProgress(parts.length, (bytes) => session.progress.update(bytes));
  const digest = new OrderedDigest(temp, parts, scheduler.signal, (error) =>
    scheduler.stop({ kind: 'failed', error }),
  );
  const fetchPart = (state: PartState) => {
    const { index } = state.part;
    let opened = index === 0 ? first.response : undefined;
    const context = { ...session.context, onBytes: progress.listenerOf(index) };
    // Part 0 goes on in the loop of the first request, whose answer it takes over.
    const loop = index === 0 ? session.firstRequestLoop : session.newLoop();
    return loop.run(
      () => {
        const response = opened;
        opened = undefined;
        return session.fromSources(
          (attempt) =>
            attemptPart(attempt, temp, state, first.validator, scheduler.signal, response),
          scheduler.signal,
          context,
        );
      },
      scheduler.signal,
      session.onRetry({ part: index, keptBytes: () => state.writtenBytes }),
    );
  };
  try {
    await scheduler.run(states, connections, async (state) => {
      const mismatch = await fetchPart(state);
      if (mismatch === undefined) digest.partDone(state.part.index);
      return mismatch;
    });
    await digest.settled();
  } finally {
    discardBody(first.response.body);
  }
  const writtenBytes = states.reduce((sum, state) => sum + state.writtenBytes, 0);
  const stop: Stop<PartMismatch> | undefined = signal.aborted
    ? { kind: 'failed', error: signal.reason }
    : scheduler.stopped;
  if (stop?.kind === 'result') return { ...stop.result, writtenBytes };
  if (stop !== undefined) {
    session.facts.wrote(stop.error, writtenBytes);
    throw stop.error;
  }
  // Normally a no-op by now: the digest has followed every part.
  await temp.hashThrough(session.context.expectedSizeBytes, signal);
  return {
    kind: 'done',
    resumedBytes: states.reduce((sum, state) => sum + state.resumedBytes, 0),
  };
}

/** The bytes of all parts together, as each part tells its own: what progress shows. */
class CombinedProgress {
  readonly #receivedBytes: number[];
  readonly #report: (totalBytes: number) => void;
  #totalBytes = 0;

  constructor(partCount: number, report: (totalBytes: number) => void) {
    this.#receivedBytes = Array.from({ length: partCount }, () => 0);
    this.#report = report;
  }

  /** The listener of part `index`: it hears the part's bytes received so far. */
  listenerOf(index: number): (bytes: number) => void {
    return (bytes) => {
      this.#totalBytes += bytes - (this.#receivedBytes[index] ?? 0);
      this.#receivedBytes[index] = bytes;
      this.#report(this.#totalBytes);
    };
  }
}
