import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retry } from '../../../src/download/retry/retry.ts';
import { FetchError, InterruptedError, RejectedError } from '../../../src/errors.ts';

const fast = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5, remainingMs: () => 60_000 };

describe('retry', () => {
  it('retries transient failures and reports each retry', async () => {
    const seen: number[] = [];
    let calls = 0;
    const outcome = await retry(
      async () => {
        calls += 1;
        if (calls < 3) throw new FetchError('reset', { transient: true });
        return 'ok';
      },
      fast,
      new AbortController().signal,
      (event) => seen.push(event.attempt),
    );
    assert.deepEqual(outcome, { value: 'ok', attempts: 3 });
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
    assert.equal(error.details.attempts, 4);
  });

  it('carries on the numbering and the budget of an earlier loop', async () => {
    const seen: number[] = [];
    const numbers: number[] = [];
    const error = await retry(
      async (attempt) => {
        numbers.push(attempt);
        throw new FetchError('reset', { transient: true });
      },
      { ...fast, firstAttempt: 3 },
      new AbortController().signal,
      (event) => seen.push(event.attempt),
    ).catch((caught: unknown) => caught);
    assert.deepEqual(numbers, [3, 4], 'attempts 1 and 2 were made before: two are left of four');
    assert.deepEqual(seen, [3]);
    assert.ok(error instanceof FetchError);
    assert.equal(error.details.attempts, 4);
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
    assert.ok(performance.now() - started < 1_000);
  });

  it('ends a backoff sleep at once when the signal aborts, with its reason', async () => {
    const controller = new AbortController();
    const pending = retry(
      async () => {
        throw new FetchError('503', { transient: true, retryAfterMs: 30_000 });
      },
      { ...fast, maxDelayMs: 60_000 },
      controller.signal,
      () => setImmediate(() => controller.abort(new InterruptedError('SIGTERM'))),
    );
    await assert.rejects(pending, InterruptedError);
  });
});
