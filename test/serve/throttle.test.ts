import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { ConnectionThrottle, pacingOf } from '../../src/serve/throttle.ts';

describe('ConnectionThrottle', () => {
  it('lets the first chunk go at once and holds the next by the time the first takes', async () => {
    const throttle = new ConnectionThrottle(1000);
    const never = new AbortController().signal;
    const startedMs = performance.now();
    await throttle.take(100, never);
    const firstMs = performance.now() - startedMs;
    await throttle.take(100, never);
    const secondMs = performance.now() - startedMs;
    // 100 bytes at 1000 B/s is 100 ms; the schedule, not the caller, sets when the second leaves.
    assert.ok(secondMs >= 95, `the second chunk left after ${secondMs} ms`);
    assert.ok(firstMs < secondMs - 50, `the first chunk waited ${firstMs} ms`);
  });

  it('stops waiting when the signal aborts', async () => {
    const throttle = new ConnectionThrottle(1);
    const stop = new AbortController();
    await throttle.take(1000, stop.signal);
    const waiting = throttle.take(1, stop.signal);
    stop.abort();
    await assert.rejects(waiting, { name: 'AbortError' });
  });
});

describe('pacingOf', () => {
  it('gives each connection one throttle of its own, at the set rate', () => {
    const pacing = pacingOf(4096);
    const [one, two] = [new Socket(), new Socket()];
    assert.equal(pacing.bytesPerSecond, 4096);
    assert.equal(pacing.throttleFor(one), pacing.throttleFor(one), 'keep-alive requests share it');
    assert.notEqual(pacing.throttleFor(one), pacing.throttleFor(two));
  });
});
