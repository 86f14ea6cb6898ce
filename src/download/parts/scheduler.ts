/** What stopped scheduled work early: the first failure, or the first result that ends it. */
export type Stop<R> =
  | { readonly kind: 'failed'; readonly error: unknown }
  | { readonly kind: 'result'; readonly result: R };

/**
 * Runs work over items in order, at most `concurrency` at a time: a worker
 * takes the next item when its last is done. The first work that throws, or
 * resolves with a result (not undefined), stops the others: no item starts
 * after it, and `signal`, which every work is to heed, aborts (with the
 * error, for a failure). Anything else may stop them too (stop()). One
 * scheduler per phase, under the run's signal.
 */
export class Scheduler<R> {
  /** The run's signal, and this scheduler's stop: what every work is to heed. */
  readonly signal: AbortSignal;
  readonly #phase = new AbortController();
  #stopped: Stop<R> | undefined;

  constructor(outer: AbortSignal) {
    this.signal = AbortSignal.any([outer, this.#phase.signal]);
  }

  /** The first stop, once there was one. */
  get stopped(): Stop<R> | undefined {
    return this.#stopped;
  }

  /** Stops every work; only the first stop counts. */
  stop(stop: Stop<R>): void {
    this.#stopped ??= stop;
    this.#phase.abort(stop.kind === 'failed' ? stop.error : new Error('stopped by a result'));
  }

  /** Resolves once every work started has settled, however it ended (see `stopped`). */
  async run<T>(
    items: readonly T[],
    concurrency: number,
    work: (item: T) => Promise<R | undefined>,
  ): Promise<void> {
    let next = 0;
    const worker = async () => {
      for (let item = items[next++]; item !== undefined; item = items[next++]) {
        if (this.signal.aborted) return;
        try {
          const result = await work(item);
          if (result === undefined) continue;
          this.stop({ kind: 'result', result });
        } catch (error) {
          this.stop({ kind: 'failed', error });
        }
        return;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }
}
