/**
 * The run's one AbortSignal and what ends it: SIGTERM or SIGINT (a second one
 * abandons cleanup at once), the overall deadline, and a grace period after
 * any abort, so cleanup can never keep an aborted run alive.
 */

import { DeadlineError, InterruptedError, type LoaderError, toLoaderError } from '../errors.ts';
import { nowMs } from './clock.ts';

/** Where the stop signals come from: the process, or an emitter in a test. */
export interface SignalSource {
  on(event: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
}

export interface LifecycleOptions {
  /** When the run started, on the loader's clock (clock.ts): the deadline counts from here. */
  readonly startedAt: number;
  readonly deadlineMs: number;
  /** The setting that sets the deadline, named in the deadline's message. */
  readonly deadlineSetting: string;
  /** After an abort, cleanup gets this long before the run is abandoned regardless. */
  readonly graceMs: number;
  /** Ends the process now, before cleanup finished; a temp file left behind is removed by the next run. */
  readonly abandon: (error: LoaderError, why: string) => void;
  readonly signals?: SignalSource;
}

export interface Lifecycle {
  readonly signal: AbortSignal;
  /** Milliseconds left until the deadline (negative once it passed). */
  readonly remainingMs: () => number;
  /** The run is over: no deadline, no grace period. */
  readonly dispose: () => void;
}

export function startLifecycle(options: LifecycleOptions): Lifecycle {
  const { startedAt, deadlineMs, graceMs, abandon, signals = process } = options;
  const controller = new AbortController();
  const stopOnSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (controller.signal.aborted)
      abandon(new InterruptedError(signal), 'a second signal: not waiting for cleanup');
    controller.abort(new InterruptedError(signal));
  };
  signals.on('SIGTERM', () => stopOnSignal('SIGTERM'));
  signals.on('SIGINT', () => stopOnSignal('SIGINT'));
  const deadlineAt = startedAt + deadlineMs;
  const deadlineTimer = setTimeout(
    () =>
      controller.abort(
        new DeadlineError(
          `deadline of ${deadlineMs / 1000} s exceeded (${options.deadlineSetting})`,
        ),
      ),
    deadlineMs,
  );
  let graceTimer: NodeJS.Timeout | undefined;
  controller.signal.addEventListener('abort', () => {
    graceTimer = setTimeout(
      () => abandon(toLoaderError(controller.signal.reason), `cleanup took over ${graceMs} ms`),
      graceMs,
    );
  });
  return {
    signal: controller.signal,
    remainingMs: () => deadlineAt - nowMs(),
    dispose: () => {
      clearTimeout(deadlineTimer);
      clearTimeout(graceTimer);
    },
  };
}
