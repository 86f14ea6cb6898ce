import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type RetryEvent, RetryLoop, type RetryPolicy } from '../../../src/download/retry/retry.ts';
import { FetchError, InterruptedError, RejectedError } from '../../../src/errors.ts';

const fast = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5, remainingMs: () => 60_000 };

/** A fresh loop, run once. */
function retry<T>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal,
  onRetry: (event: RetryEvent) => void,
): Promise<T> {
  return new RetryLoop(policy).run(operation, signal, { decided: onRetry, started: () => {} });
}

describe('retry', () => {
  it('retries transient failures and reports each retry', async () => {
    const seen: number[] = [];
    let calls = 0;
    const numbers: number[] = [];
    const value = await retry(
      async (attempt) => {
        numbers.push(attempt);
        calls += 1;
        if (calls < 3) throw new FetchError('reset', { transient: true });
        return 'ok';
      },
      fast,
      new AbortController().signal,
      (event) => seen.push(event.attempt),
    );
    assert.equal(value, 'ok');
    assert.deepEqual(numbers, [1, 2, 3]);
    assert.deepEqual(seen, [1, 2]);
  });

  it('stops at once on a permanent failure', async () => {
    let calls = 0;
    await assert.rejects(
      retry(
        async () => {
          calls += 1;
          throw calls === 1 ? new FetchError('503', { transient: true }) : new RejectedError('403');
        },
        fast,
        new AbortController().signal,
        () => {},
      ),
      RejectedError,
    );
    assert.equal(calls, 2);
  });

  it('gives up after maxAttempts with the last error', async () => {
    let calls = 0;
    const error = await retry(
      async () => {
        calls += 1;
        throw new FetchError(`refused ${calls}`, { transient: true });
      },
      fast,
      new AbortController().signal,
      () => {},
    ).catch((caught: unknown) => caught);
    assert.equal(calls, 4);
    assert.ok(error instanceof FetchError);
    assert.equal(error.message, 'refused 4');
    assert.equal(error.details.attempts, undefined, 'the run counts attempts, not the loop');
  });

  it('run again, a loop carries on its numbering and its budget', async () => {
    const loop = new RetryLoop(fast);
    const signal = new AbortController().signal;
    const seen: number[] = [];
    const numbers: number[] = [];
    // The first request: it fails once, then its answer is taken over.
    let calls = 0;
    const answer = await loop.run(
      async (attempt) => {
        numbers.push(attempt);
        calls += 1;
        if (calls === 1) throw new FetchError('reset', { transient: true });
        return 'answer';
      },
      signal,
      { decided: (event) => seen.push(event.attempt), started: () => {} },
    );
    assert.equal(answer, 'answer');
    // The download that took it over: its first attempt is the answer's.
    const error = await loop
      .run(
        async (attempt) => {
          numbers.push(attempt);
          throw new FetchError('reset', { transient: true });
        },
        signal,
        { decided: (event) => seen.push(event.attempt), started: () => {} },
      )
      .catch((caught: unknown) => caught);
    assert.deepEqual(
      numbers,
      [1, 2, 2, 3, 4],
      'two attempts were made before: two are left of four',
    );
    assert.deepEqual(seen, [1, 2, 3]);
    assert.ok(error instanceof FetchError);
  });

  it('does not wait for a retry that could not start before the deadline', async () => {
    let calls = 0;
    const started = performance.now();
    await assert.rejects(
      retry(
        async () => {
          calls += 1;
          throw new FetchError('503', { transient: true, retryAfterMs: 10_000 });
        },
        { ...fast, maxDelayMs: 60_000, remainingMs: () => 5_000 },
        new AbortController().signal,
        () => {},
      ),
      FetchError,
    );
    assert.equal(calls, 1);
    // The wait would be 10 s; generous for two busy cores.
    assert.ok(performance.now() - started < 5_000);
  });

  it('ends a backoff sleep at once when the signal aborts, with its reason', async () => {
    const controller = new AbortController();
    let started = 0;
    const pending = new RetryLoop({ ...fast, maxDelayMs: 60_000 }).run(
      async () => {
        throw new FetchError('503', { transient: true, retryAfterMs: 30_000 });
      },
      controller.signal,
      {
        decided: () => setImmediate(() => controller.abort(new InterruptedError('SIGTERM'))),
        started: () => {
          started += 1;
        },
      },
    );
    await assert.rejects(pending, InterruptedError);
    assert.equal(started, 1, 'the retry cut off during its wait never began');
  });

  it('tells when each attempt begins and when a retry is decided, in order', async () => {
    const order: string[] = [];
    let calls = 0;
    await new RetryLoop(fast).run(
      async (attempt) => {
        order.push(`attempt ${attempt}`);
        calls += 1;
        if (calls < 3) throw new FetchError('reset', { transient: true });
      },
      new AbortController().signal,
      {
        decided: (event) => order.push(`decided after ${event.attempt}`),
        started: (attempt) => order.push(`started ${attempt}`),
      },
    );
    assert.deepEqual(order, [
      'started 1',
      'attempt 1',
      'decided after 1',
      'started 2',
      'attempt 2',
      'decided after 2',
      'started 3',
      'attempt 3',
    ]);
  });
});
