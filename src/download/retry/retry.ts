import { setTimeout as sleep } from 'node:timers/promises';
import { type LoaderError, toLoaderError } from '../../errors.ts';

/*
 * The retry policy, in one place: how long to wait before the next attempt
 * (backoffDelayMs: full jitter, Retry-After a floor), which attempts the server
 * paces (isPaced), and the loop around one attempt (RetryLoop). Which failures
 * are transient is decided where each error is made (see http/classify.ts).
 */

export interface BackoffPolicy {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * Delay before retry number `retryNumber` (1 for the first retry): exponential
 * backoff with full jitter (a uniform draw in [0, min(max, base * 2^(n-1))]),
 * so replicas that failed together do not retry together. A server's
 * Retry-After is a floor under the draw, still capped at maxDelayMs: a busy
 * server that keeps saying "1" still sees the loader back off, so a herd
 * spreads out even when the server underestimates its queue.
 */
export function backoffDelayMs(
  retryNumber: number,
  policy: BackoffPolicy,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(
    policy.maxDelayMs,
    policy.baseDelayMs * 2 ** Math.min(retryNumber - 1, 30),
  );
  const drawn = Math.floor(random() * ceiling);
  if (retryAfterMs === undefined) return drawn;
  return Math.min(policy.maxDelayMs, Math.max(drawn, retryAfterMs));
}

export interface RetryPolicy extends BackoffPolicy {
  readonly maxAttempts: number;
  /** Milliseconds left before the overall deadline; a retry that cannot start in time is not waited for. */
  readonly remainingMs: () => number;
  readonly random?: () => number;
}

/**
 * Hears a loop's attempts: `started` as each begins (the first included),
 * `decided` when a failed one will be retried, before the wait, so the wait
 * can be logged. A retry is counted once decided: the run's `attempts` is 1
 * plus every `retry` event logged, even when the deadline, a signal or
 * another part cut its wait short. `gaveUp` when the loop ends on a failure
 * its budget would still have retried, and why; `cutShort` when an abort (the
 * deadline, a signal, another part's failure) ends the loop after a failure:
 * the abort's reason and that last failure.
 */
export interface RetryListener {
  readonly decided: (event: RetryEvent) => void;
  readonly started: (attempt: number) => void;
  readonly gaveUp: (error: LoaderError, why: string) => void;
  readonly cutShort: (reason: unknown, lastFailure: LoaderError) => void;
}

export interface RetryEvent {
  /** The attempt that just failed (1-based, in its loop). */
  readonly attempt: number;
  readonly error: LoaderError;
  readonly delayMs: number;
  /** The server paced it (see isPaced): not counted against maxAttempts. */
  readonly paced: boolean;
}

/**
 * A 429 or 503 with a valid Retry-After is the server pacing its clients
 * (admission control, RFC 9110 §10.2.3, RFC 6585 §4), not a fault: the
 * attempt is retried after the wait asked for, but does not use up the
 * budget, which would turn a busy server's turns into a failure. The
 * deadline bounds a server that paces for ever. Without Retry-After (or with
 * one that does not parse) it counts as any failure.
 */
function isPaced(error: LoaderError): boolean {
  const { status } = error.details;
  return error.retryAfterMs !== undefined && (status === 429 || status === 503);
}

/**
 * Attempts at the same bytes, numbered from 1 against `maxAttempts`. A loop
 * may run more than once: the loop of the first request (conditional, or for
 * part 0) runs on as the loop of the download that takes its answer over
 * (part 0, or the whole file), so the answer is that download's first attempt
 * and their retries count against one budget. The run's total is counted by
 * whoever listens to the retries (see DownloadSession), not here.
 */
export class RetryLoop {
  readonly #policy: RetryPolicy;
  #attempt = 1;
  /** Attempts the server paced so far: left out of the count against maxAttempts. */
  #paced = 0;

  constructor(policy: RetryPolicy) {
    this.#policy = policy;
  }

  /**
   * Runs `operation` until it succeeds, fails permanently, runs out of attempts
   * or the signal aborts. The operation knows nothing of backoff; only errors
   * marked `transient` are retried ("unknown errors are not retried"), and
   * attempts the server paced are not counted against maxAttempts (see
   * isPaced). Every wait is abortable: an abort ends the wait at once with the
   * signal's reason.
   */
  async run<T>(
    operation: (attempt: number) => Promise<T>,
    signal: AbortSignal,
    listener: RetryListener,
  ): Promise<T> {
    const policy = this.#policy;
    let lastFailure: LoaderError | undefined;
    for (; ; this.#attempt += 1) {
      const attempt = this.#attempt;
      signal.throwIfAborted();
      listener.started(attempt);
      try {
        return await operation(attempt);
      } catch (caught) {
        if (signal.aborted) throw cutShort(signal.reason, lastFailure, listener);
        const error = toLoaderError(caught);
        lastFailure = error;
        if (!error.transient) throw error;
        const paced = isPaced(error);
        if (paced) this.#paced += 1;
        else if (attempt - this.#paced >= policy.maxAttempts) throw error;
        // Paced attempts count here: a server that keeps pacing still sees the loader back off.
        const delayMs = backoffDelayMs(attempt, policy, error.retryAfterMs, policy.random);
        if (delayMs >= policy.remainingMs()) {
          // Waiting would only end in the deadline: fail now, with the real reason.
          listener.gaveUp(error, 'the next attempt could not start before the deadline');
          throw error;
        }
        listener.decided({ attempt, error, delayMs, paced });
        await sleep(delayMs, undefined, { signal }).catch(() => {
          throw cutShort(signal.reason, lastFailure, listener);
        });
      }
    }
  }
}

/**
 * An abort (deadline, signal) still says why the last attempt failed: a run
 * cut by the deadline after five stalled attempts should say "stalled", not
 * only "deadline". Returns the reason, to be thrown.
 */
function cutShort(
  reason: unknown,
  lastFailure: LoaderError | undefined,
  listener: RetryListener,
): unknown {
  if (lastFailure !== undefined) listener.cutShort(reason, lastFailure);
  return reason;
}
