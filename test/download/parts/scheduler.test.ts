import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { Scheduler } from '../../../src/download/parts/scheduler.ts';

/** A piece of work the test ends by hand, as a part ends when its bytes are in. */
interface Held {
  readonly item: number;
  readonly signal: AbortSignal;
  resolve(result?: string): void;
  reject(error: unknown): void;
  settled: boolean;
}

/** A scheduler over `count` items whose work waits until the test ends it. */
function holding(count: number, concurrency: number, outer = new AbortController().signal) {
  const scheduler = new Scheduler<string>(outer);
  const started: Held[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const items = Array.from({ length: count }, (_, index) => index);
  const running = scheduler.run(items, concurrency, (item) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    return new Promise<string | undefined>((resolve, reject) => {
      const held: Held = {
        item,
        signal: scheduler.signal,
        settled: false,
        resolve: (result) => {
          held.settled = true;
          resolve(result);
        },
        reject: (error) => {
          held.settled = true;
          reject(error);
        },
      };
      started.push(held);
    }).finally(() => {
      inFlight -= 1;
    });
  });
  let ended = false;
  running.then(() => {
    ended = true;
  });
  return {
    scheduler,
    started,
    running,
    ended: () => ended,
    maxInFlight: () => maxInFlight,
  };
}

function heldAt(started: readonly Held[], index: number): Held {
  const held = started[index];
  assert.ok(held, `work ${index} started`);
  return held;
}

describe('Scheduler', () => {
  it('starts the items in order, never more than `concurrency` at once', async () => {
    const run = holding(7, 3);
    await tick();
    assert.deepEqual(
      run.started.map((held) => held.item),
      [0, 1, 2],
    );
    // Ending the second lets the fourth start, not any other.
    heldAt(run.started, 1).resolve();
    await tick();
    assert.deepEqual(
      run.started.map((held) => held.item),
      [0, 1, 2, 3],
    );
    for (let index = 0; index < 7; index += 1) {
      await tick();
      const held = run.started.find((candidate) => candidate.item === index);
      if (held !== undefined && !held.settled) held.resolve();
    }
    await run.running;
    assert.deepEqual(
      run.started.map((held) => held.item),
      [0, 1, 2, 3, 4, 5, 6],
    );
    assert.equal(run.maxInFlight(), 3);
    assert.equal(run.scheduler.stopped, undefined, 'every item was done');
    assert.equal(run.scheduler.signal.aborted, false);
  });

  it('the first failure stops the rest, and run() settles only when every work has', async () => {
    const run = holding(6, 3);
    await tick();
    const failure = new Error('part 1 failed for good');
    heldAt(run.started, 1).reject(failure);
    await tick();
    assert.equal(run.scheduler.signal.aborted, true);
    assert.equal(run.scheduler.signal.reason, failure, 'the others hear why');
    assert.equal(run.started.length, 3, 'no item starts after the failure');
    assert.equal(run.ended(), false, 'parts 0 and 2 are still running');

    // A later failure (the others, aborted) does not replace the first.
    heldAt(run.started, 0).reject(new Error('aborted'));
    await tick();
    assert.equal(run.ended(), false, 'part 2 is still running');
    heldAt(run.started, 2).resolve();
    await run.running;
    assert.deepEqual(run.scheduler.stopped, { kind: 'failed', error: failure });
    assert.equal(run.started.length, 3);
  });

  it('a result (a part that did not come back as asked) stops the rest like a failure', async () => {
    const run = holding(5, 2);
    await tick();
    heldAt(run.started, 0).resolve('mismatch of part 0');
    await tick();
    assert.equal(run.scheduler.signal.aborted, true);
    heldAt(run.started, 1).resolve();
    await run.running;
    assert.deepEqual(run.scheduler.stopped, { kind: 'result', result: 'mismatch of part 0' });
    assert.equal(run.started.length, 2, 'no item starts after the result');
  });

  it('a stop from outside (the digest failing) stops it too; the first stop counts', async () => {
    const run = holding(4, 2);
    await tick();
    const readBack = new Error('reading back failed');
    run.scheduler.stop({ kind: 'failed', error: readBack });
    run.scheduler.stop({ kind: 'failed', error: new Error('later') });
    heldAt(run.started, 0).resolve();
    heldAt(run.started, 1).resolve();
    await run.running;
    assert.equal(run.started.length, 2);
    assert.deepEqual(run.scheduler.stopped, { kind: 'failed', error: readBack });
  });

  it('the run signal aborting reaches every work, and no item starts after it', async () => {
    const outer = new AbortController();
    const run = holding(4, 2, outer.signal);
    await tick();
    const reason = new Error('deadline');
    outer.abort(reason);
    assert.equal(heldAt(run.started, 0).signal.reason, reason);
    heldAt(run.started, 0).resolve();
    heldAt(run.started, 1).resolve();
    await run.running;
    assert.equal(run.started.length, 2);
  });
});
