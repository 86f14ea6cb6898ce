import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs } from '../../../src/download/retry/backoff.ts';

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
