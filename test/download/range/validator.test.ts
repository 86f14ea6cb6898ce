import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sameVersion, validatorOf } from '../../../src/download/range/validator.ts';

describe('validator', () => {
  it('keeps a strong ETag; a weak one proves nothing, not even with a date beside it', () => {
    assert.deepEqual(validatorOf({ etag: '"abc"' }), { etag: '"abc"', lastModified: undefined });
    assert.equal(validatorOf({ etag: 'W/"abc"' }), undefined);
    const lm = 'Mon, 23 Nov 2026 10:00:00 GMT';
    assert.equal(
      validatorOf({ etag: 'W/"abc"', 'last-modified': lm, date: 'Mon, 23 Nov 2026 11:00:00 GMT' }),
      undefined,
    );
  });

  it('takes Last-Modified only when it is a strong date (a second or more before Date)', () => {
    const lm = 'Mon, 23 Nov 2026 10:00:00 GMT';
    assert.deepEqual(validatorOf({ 'last-modified': lm, date: 'Mon, 23 Nov 2026 10:00:01 GMT' }), {
      etag: undefined,
      lastModified: lm,
    });
    assert.equal(validatorOf({ 'last-modified': lm, date: lm }), undefined);
    assert.equal(validatorOf({ 'last-modified': lm }), undefined);
  });

  it('detects a changed object', () => {
    assert.equal(sameVersion({ etag: '"v1"', lastModified: undefined }, { etag: '"v1"' }), true);
    assert.equal(sameVersion({ etag: '"v1"', lastModified: undefined }, { etag: '"v2"' }), false);
    assert.equal(sameVersion({ etag: '"v1"', lastModified: undefined }, {}), false);
  });
});
