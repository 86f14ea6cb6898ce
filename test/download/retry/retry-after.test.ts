import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRetryAfterMs } from '../../../src/download/retry/retry-after.ts';

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2026-11-23T10:00:00Z');
  it('reads delay-seconds', () => assert.equal(parseRetryAfterMs('3', now), 3000));
  it('reads an HTTP-date', () =>
    assert.equal(parseRetryAfterMs('Mon, 23 Nov 2026 10:00:05 GMT', now), 5000));
  it('treats a date in the past as no wait', () =>
    assert.equal(parseRetryAfterMs('Mon, 23 Nov 2026 09:00:00 GMT', now), 0));
  it('ignores garbage and absence', () => {
    assert.equal(parseRetryAfterMs('soon', now), undefined);
    assert.equal(parseRetryAfterMs('-1', now), undefined);
    assert.equal(parseRetryAfterMs(undefined, now), undefined);
  });
});
