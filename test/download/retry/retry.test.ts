import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  backoffDelayMs,
  type RetryEvent,
  type RetryListener,
  RetryLoop,
  type RetryPolicy,
} from '../../../src/download/retry/retry.ts';
import { FetchError, InterruptedError, RejectedError } from '../../../src/errors.ts';

const fast = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5, remainingMs: () => 60_000 };

/** A listener's parts a test does not look at. */
const unheard = { gaveUp: () => {}, cutShort: () => {} };

/** A fresh loop, run once; `heard` replaces parts of the listener. */
function retry<T>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal,
  onRetry: (event: RetryEvent) => void,
  heard: Partial<RetryListener> = {},
): Promise<T> {
  return new RetryLoop(policy).run(operation, signal, {
    ...unheard,
    decided: onRetry,
    started: () => {},
    ...heard,
  });
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
      { ...unheard, decided: (event) => seen.push(event.attempt), started: () => {} },
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
        { ...unheard, decided: (event) => seen.push(event.attempt), started: () => {} },
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

  describe('an attempt the server paces (429 or 503 with Retry-After)', () => {
    const paced = (status: number) =>
      new FetchError(`${status}`, { transient: true, retryAfterMs: 1, details: { status } });
    const budgetOfTwo = { ...fast, maxAttempts: 2 };

    it('is retried without using up maxAttempts, and the retry says it was paced', async () => {
      const events: RetryEvent[] = [];
      let calls = 0;
      const value = await retry(
        async () => {
          calls += 1;
          if (calls <= 5) throw paced(calls % 2 === 0 ? 429 : 503);
          return 'ok';
        },
        budgetOfTwo,
        new AbortController().signal,
        (event) => events.push(event),
      );
      assert.equal(value, 'ok');
      assert.equal(calls, 6);
      assert.deepEqual(
        events.map(({ attempt, paced }) => ({ attempt, paced })),
        [1, 2, 3, 4, 5].map((attempt) => ({ attempt, paced: true })),
      );
    });

    it('leaves the budget to the failures that count: two of them end it, paced ones between', async () => {
      const events: RetryEvent[] = [];
      const failures = [
        paced(503),
        new FetchError('reset', { transient: true }),
        paced(429),
        new FetchError('reset again', { transient: true }),
      ];
      let calls = 0;
      const error = await retry(
        async () => {
          throw failures[calls++];
        },
        budgetOfTwo,
        new AbortController().signal,
        (event) => events.push(event),
      ).catch((caught: unknown) => caught);
      assert.equal(error, failures[3]);
      assert.equal(calls, 4);
      assert.deepEqual(
        events.map((event) => event.paced),
        [true, false, true],
      );
    });

    it('is bounded by the deadline, not the budget: it ends when the next wait would pass it', async () => {
      let calls = 0;
      const gaveUp: string[] = [];
      // No jitter: each wait is the 3 ms asked for; 10 ms are left, less 1 ms per attempt.
      const policy = { ...budgetOfTwo, random: () => 0, remainingMs: () => 10 - calls };
      const failure = new FetchError('503', {
        transient: true,
        retryAfterMs: 3,
        details: { status: 503 },
      });
      const error = await retry(
        async () => {
          calls += 1;
          throw failure;
        },
        policy,
        new AbortController().signal,
        () => {},
        { gaveUp: (_error, why) => gaveUp.push(why) },
      ).catch((caught: unknown) => caught);
      assert.equal(error, failure);
      assert.equal(calls, 7, 'far past the budget of 2, until 3 ms no longer fit in what was left');
      assert.deepEqual(gaveUp, ['the next attempt could not start before the deadline']);
    });

    it('is no pacing without Retry-After, nor as another status with a wait (a signature not valid yet)', async () => {
      for (const failure of [
        new FetchError('503', { transient: true, details: { status: 503 } }),
        new RejectedError('403', { transient: true, retryAfterMs: 1, details: { status: 403 } }),
      ]) {
        let calls = 0;
        const events: RetryEvent[] = [];
        const error = await retry(
          async () => {
            calls += 1;
            throw failure;
          },
          budgetOfTwo,
          new AbortController().signal,
          (event) => events.push(event),
        ).catch((caught: unknown) => caught);
        assert.equal(error, failure);
        assert.equal(calls, 2);
        assert.deepEqual(
          events.map((event) => event.paced),
          [false],
        );
      }
    });
  });

  it('does not wait for a retry that could not start before the deadline, and tells why', async () => {
    let calls = 0;
    const started = performance.now();
    const gaveUp: [unknown, string][] = [];
    const failure = new FetchError('503', { transient: true, retryAfterMs: 10_000 });
    const error = await new RetryLoop({ ...fast, maxDelayMs: 60_000, remainingMs: () => 5_000 })
      .run(
        async () => {
          calls += 1;
          throw failure;
        },
        new AbortController().signal,
        {
          ...unheard,
          decided: () => {},
          started: () => {},
          gaveUp: (error, why) => gaveUp.push([error, why]),
        },
      )
      .catch((caught: unknown) => caught);
    assert.equal(error, failure);
    assert.deepEqual(gaveUp, [[failure, 'the next attempt could not start before the deadline']]);
    assert.deepEqual(failure.details, {}, 'the error is told as it was made');
    assert.equal(calls, 1);
    // The wait would be 10 s; generous for two busy cores.
    assert.ok(performance.now() - started < 5_000);
  });

  it('ends a backoff sleep at once when the signal aborts, with its reason and the last failure', async () => {
    const controller = new AbortController();
    const reason = new InterruptedError('SIGTERM');
    const failure = new FetchError('503', { transient: true, retryAfterMs: 30_000 });
    let started = 0;
    const cut: [unknown, unknown][] = [];
    const pending = new RetryLoop({ ...fast, maxDelayMs: 60_000 }).run(
      async () => {
        throw failure;
      },
      controller.signal,
      {
        ...unheard,
        decided: () => setImmediate(() => controller.abort(reason)),
        started: () => {
          started += 1;
        },
        cutShort: (by, lastFailure) => cut.push([by, lastFailure]),
      },
    );
    assert.equal(await pending.catch((caught: unknown) => caught), reason);
    assert.equal(started, 1, 'the retry cut off during its wait never began');
    assert.deepEqual(cut, [[reason, failure]]);
    assert.deepEqual(reason.details, {}, 'the reason is told as it was made');
  });

  it('tells no last failure when the signal aborts before any attempt failed', async () => {
    const controller = new AbortController();
    const reason = new InterruptedError('SIGINT');
    const cut: unknown[] = [];
    const error = await new RetryLoop(fast)
      .run(
        async () => {
          controller.abort(reason);
          throw reason;
        },
        controller.signal,
        { ...unheard, decided: () => {}, started: () => {}, cutShort: (by) => cut.push(by) },
      )
      .catch((caught: unknown) => caught);
    assert.equal(error, reason);
    assert.deepEqual(cut, []);
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
        ...unheard,
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

const policy = { baseDelayMs: 500, maxDelayMs: 30_000 };

describe('backoffDelayMs', () => {
  it('draws uniformly below an exponentially growing ceiling (full jitter)', () => {
    assert.equal(
      backoffDelayMs(1, policy, undefined, () => 0.999999),
      499,
    );
    assert.equal(
      backoffDelayMs(3, policy, undefined, () => 0.5),
      1000,
    );
    assert.equal(
      backoffDelayMs(4, policy, undefined, () => 0),
      0,
    );
  });

  it('caps the ceiling at maxDelayMs', () => {
    assert.equal(
      backoffDelayMs(20, policy, undefined, () => 0.999999),
      29_999,
    );
  });

  it('takes Retry-After as a floor: a longer draw of its own wins, so repeated 503s still back off', () => {
    assert.equal(
      backoffDelayMs(1, policy, 1000, () => 0.999999),
      1000,
    );
    assert.equal(
      backoffDelayMs(6, policy, 1000, () => 0.5),
      8000,
    );
    assert.equal(
      backoffDelayMs(12, policy, 1000, () => 0.999999),
      29_999,
    );
  });

  it('honours Retry-After up to the cap', () => {
    assert.equal(
      backoffDelayMs(1, policy, 2000, () => 0),
      2000,
    );
    assert.equal(
      backoffDelayMs(1, policy, 3_600_000, () => 0),
      30_000,
    );
  });
});
