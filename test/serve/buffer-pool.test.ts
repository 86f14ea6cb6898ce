import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BufferPool } from '../../src/serve/buffer-pool.ts';

describe('BufferPool', () => {
  it('hands a given-back buffer to the next taker instead of making one', () => {
    const pool = new BufferPool(1024);
    const first = pool.take();
    assert.equal(first.length, 1024);
    pool.give(first);
    assert.equal(pool.take(), first);
    assert.deepEqual(pool.stats, { made: 1, free: 0 });
  });

  it('makes one buffer per taker holding one at the same time, and keeps them all once given back', () => {
    const pool = new BufferPool(1024);
    const held = [pool.take(), pool.take(), pool.take()];
    assert.equal(new Set(held).size, 3);
    for (const buffer of held) pool.give(buffer);
    assert.deepEqual(pool.stats, { made: 3, free: 3 });
    pool.take();
    assert.deepEqual(pool.stats, { made: 3, free: 2 });
  });
});
