// The run's lifecycle in-process: a real AbortController, signals from an emitter of
// the test's own, and node:test's mock timers where the deadline and the grace period
// are the subject, so time moves only when a test says so.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { DeadlineError, InterruptedError, type LoaderError } from '../../src/errors.ts';
import { nowMs } from '../../src/process/clock.ts';
import { type LifecycleOptions, startLifecycle } from '../../src/process/lifecycle.ts';

interface Abandoned {
  readonly error: LoaderError;
  readonly why: string;
}

function lifecycleFor(options: Partial<LifecycleOptions> = {}) {
  const signals = new EventEmitter();
  const abandoned: Abandoned[] = [];
  const lifecycle = startLifecycle({
    startedAt: nowMs(),
    deadlineMs: 60_000,
    deadlineSetting: 'LOADER_DEADLINE_SECONDS',
    graceMs: 60_000,
    abandon: (error, why) => abandoned.push({ error, why }),
    signals,
    ...options,
  });
  return { lifecycle, signals, abandoned };
}

describe('startLifecycle', () => {
  it('aborts at the deadline, naming the setting, then abandons after the grace period', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { lifecycle, abandoned } = lifecycleFor({ deadlineMs: 30, graceMs: 40 });
    try {
      t.mock.timers.tick(29);
      assert.equal(lifecycle.signal.aborted, false, 'not before the deadline');
      t.mock.timers.tick(1);
      assert.equal(lifecycle.signal.aborted, true, 'at the deadline');
      t.mock.timers.tick(39);
      assert.equal(abandoned.length, 0, 'cleanup gets its grace period first');
      t.mock.timers.tick(1);
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

  it('once disposed, neither the deadline nor the grace period fires', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const before = lifecycleFor({ deadlineMs: 20, graceMs: 20 });
    before.lifecycle.dispose();
    const after = lifecycleFor({ graceMs: 20 });
    after.signals.emit('SIGINT');
    after.lifecycle.dispose();
    t.mock.timers.tick(120_000);
    assert.equal(before.lifecycle.signal.aborted, false);
    assert.deepEqual(before.abandoned, []);
    assert.equal(after.lifecycle.signal.aborted, true);
    assert.deepEqual(after.abandoned, []);
  });

  it('counts the time left from when the run started, not from when the lifecycle did', () => {
    const { lifecycle } = lifecycleFor({ startedAt: nowMs() - 1_000, deadlineMs: 5_000 });
    try {
      const remaining = lifecycle.remainingMs();
      assert.ok(remaining <= 4_000 && remaining > 3_000, `remaining ${remaining} ms`);
    } finally {
      lifecycle.dispose();
    }
  });
});
