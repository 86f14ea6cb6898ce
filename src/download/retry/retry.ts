import { setTimeout as sleep } from 'node:timers/promises';
import { LoaderError, toLoaderError } from '../../errors.ts';
import { type BackoffPolicy, backoffDelayMs } from './backoff.ts';

export interface RetryPolicy extends BackoffPolicy {
  readonly maxAttempts: number;
  /** Milliseconds left before the overall deadline; a retry that cannot start in time is not waited for. */
  readonly remainingMs: () => number;
  readonly random?: () => number;
  /**
   * Number of the first attempt, when this loop carries on from attempts made
   * elsewhere for the same bytes (default 1). Those count against maxAttempts.
   */
  readonly firstAttempt?: number;
}

export interface RetryEvent {
  /** The attempt that just failed (1-based). */
  readonly attempt: number;
  readonly error: LoaderError;
  readonly delayMs: number;
}

export interface RetryOutcome<T> {
  readonly value: T;
  readonly attempts: number;
}

/**
 * Runs `operation` until it succeeds, fails permanently, runs out of attempts
 * or the signal aborts. The operation knows nothing of backoff; only errors
 * marked `transient` are retried ("unknown errors are not retried"). Every
 * wait is abortable: an abort ends the wait at once with the signal's reason.
 */
export async function retry<T>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal,
  onRetry: (event: RetryEvent) => void,
): Promise<RetryOutcome<T>> {
  let lastFailure: LoaderError | undefined;
  for (let attempt = policy.firstAttempt ?? 1; ; attempt += 1) {
    signal.throwIfAborted();
    try {
      return { value: await operation(attempt), attempts: attempt };
    } catch (caught) {
      if (signal.aborted) throw withAttempts(signal.reason, attempt, lastFailure);
      const error = toLoaderError(caught);
      lastFailure = error;
      error.details.attempts = attempt;
      if (!error.transient || attempt >= policy.maxAttempts) throw error;
      const delayMs = backoffDelayMs(attempt, policy, error.retryAfterMs, policy.random);
      if (delayMs >= policy.remainingMs()) {
        // Waiting would only end in the deadline: fail now, with the real reason.
        error.details.gaveUp = 'the next attempt could not start before the deadline';
        throw error;
      }
      onRetry({ attempt, error, delayMs });
      await sleep(delayMs, undefined, { signal }).catch(() => {
        throw withAttempts(signal.reason, attempt, lastFailure);
      });
    }
  }
}

/**
 * An abort (deadline, signal) still says how many attempts were made before it
 * and why the last one failed: a run cut by the deadline after five stalled
 * attempts should say "stalled", not only "deadline".
 */
function withAttempts(reason: unknown, attempts: number, lastFailure?: LoaderError): unknown {
  if (reason instanceof LoaderError) {
    reason.details.attempts = attempts;
    if (lastFailure !== undefined) reason.details.lastFailure ??= lastFailure.message;
  }
  return reason;
}
