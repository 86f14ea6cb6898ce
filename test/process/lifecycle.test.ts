// The run's lifecycle in-process: a real AbortController and real timers, with the
// deadline and the grace period made short, and signals from an emitter of the test's own.
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeadlineError, InterruptedError, type LoaderError } from '../../src/errors.ts';
import { type LifecycleOptions, startLifecycle } from '../../src/process/lifecycle.ts';

interface Abandoned {
  readonly error: LoaderError;
  readonly why: string;
}

function lifecycleFor(options: Partial<LifecycleOptions> = {}) {
  const signals = new EventEmitter();
  const abandoned: Abandoned[] = [];
  const { promise: firstAbandon, resolve } = Promise.withResolvers<void>();
  const lifecycle = startLifecycle({
    startedAt: performance.now(),
    deadlineMs: 60_000,
    deadlineSetting: 'LOADER_DEADLINE_SECONDS',
    graceMs: 60_000,
    abandon: (error, why) => {
      abandoned.push({ error, why });
      resolve();
    },
    signals,
    ...options,
  });
  return { lifecycle, signals, abandoned, firstAbandon };
}

describe('startLifecycle', () => {
  it('aborts at the deadline, naming the setting, then abandons after the grace period', async () => {
    const { lifecycle, abandoned, firstAbandon } = lifecycleFor({ deadlineMs: 30, graceMs: 40 });
    try {
      assert.equal(lifecycle.signal.aborted, false);
      await once(lifecycle.signal, 'abort');
      const abortedAt = performance.now();
      assert.equal(abandoned.length, 0, 'cleanup gets its grace period first');
      await firstAbandon;
      assert.ok(performance.now() - abortedAt >= 39, 'not before the grace period is over');
      assert.ok(lifecycle.signal.reason instanceof DeadlineError);
      assert.equal(
        lifecycle.signal.reason.message,
        'deadline of 0.03 s exceeded (LOADER_DEADLINE_SECONDS)',
      );
      assert.equal(abandoned.length, 1);
      assert.equal(abandoned[0]?.error, lifecycle.signal.reason);
      assert.equal(abandoned[0]?.why, 'cleanup took over 40 ms');
    } finally {
      lifecycle.dispose();
    }
  });

  it('aborts on the first signal and abandons at once on the second', async () => {
    const { lifecycle, signals, abandoned } = lifecycleFor();
    try {
      signals.emit('SIGTERM');
      const reason: unknown = lifecycle.signal.reason;
      assert.ok(reason instanceof InterruptedError);
      assert.equal(reason.signal, 'SIGTERM');
      assert.equal(reason.exitCode, 143);
      assert.equal(abandoned.length, 0);
      signals.emit('SIGINT');
      assert.equal(abandoned.length, 1);
      assert.ok(abandoned[0]?.error instanceof InterruptedError);
      assert.equal(abandoned[0].error.exitCode, 130);
      assert.equal(abandoned[0].why, 'a second signal: not waiting for cleanup');
      assert.equal(lifecycle.signal.reason, reason, 'the first reason stays the reason');
    } finally {
      lifecycle.dispose();
    }
  });

  it('once disposed, neither the deadline nor the grace period fires', async () => {
    const before = lifecycleFor({ deadlineMs: 20, graceMs: 20 });
    before.lifecycle.dispose();
    const after = lifecycleFor({ graceMs: 20 });
    after.signals.emit('SIGINT');
    after.lifecycle.dispose();
    await sleep(200);
    assert.equal(before.lifecycle.signal.aborted, false);
    assert.deepEqual(before.abandoned, []);
    assert.equal(after.lifecycle.signal.aborted, true);
    assert.deepEqual(after.abandoned, []);
  });

  it('counts the time left from when the run started, not from when the lifecycle did', () => {
    const { lifecycle } = lifecycleFor({ startedAt: performance.now() - 1_000, deadlineMs: 5_000 });
    try {
      const remaining = lifecycle.remainingMs();
      assert.ok(remaining <= 4_000 && remaining > 3_000, `remaining ${remaining} ms`);
    } finally {
      lifecycle.dispose();
    }
  });
});
