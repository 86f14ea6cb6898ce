import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideRange, type RangeDecision, spanOf } from '../../src/serve/range.ts';
import type { FileValidators } from '../../src/serve/validators.ts';

const validators: FileValidators = {
  etag: '"abc-1"',
  lastModified: 'Tue, 24 Nov 2026 10:00:00 GMT',
  lastModifiedIsStrong: true,
};
const size = 1000;
const partial = (firstByte: number, lastByte: number): RangeDecision => ({
  kind: 'partial',
  firstByte,
  lastByte,
});
const full: RangeDecision = { kind: 'full' };
const unsatisfiable: RangeDecision = { kind: 'unsatisfiable' };

describe('decideRange', () => {
  it('serves one satisfiable range as a part, clamped to the file (RFC 9110 §14.1.2)', () => {
    const cases: [string, RangeDecision][] = [
      ['bytes=0-99', partial(0, 99)],
      ['bytes=990-', partial(990, 999)],
      ['bytes=990-5000', partial(990, 999)],
      ['bytes=-10', partial(990, 999)],
      ['bytes=-5000', partial(0, 999)],
      ['BYTES=5-5', partial(5, 5)],
      ['bytes=999-999', partial(999, 999)],
    ];
    for (const [header, expected] of cases)
      assert.deepEqual(decideRange(header, undefined, size, validators), expected, header);
  });

  it('answers 416 for a range that starts past the end, or an empty suffix', () => {
    for (const header of ['bytes=1000-', 'bytes=1000-2000', 'bytes=-0']) {
      assert.deepEqual(decideRange(header, undefined, size, validators), unsatisfiable, header);
    }
    assert.deepEqual(
      decideRange('bytes=0-', undefined, 0, validators),
      unsatisfiable,
      'empty file',
    );
  });

  it('ignores what it does not serve: several ranges, other units, bad syntax, reversed ranges', () => {
    for (const header of [
      'bytes=0-1,5-6',
      'items=0-1',
      'bytes=abc',
      'bytes=-',
      'bytes=9-2',
      'bytes 0-1',
    ]) {
      assert.deepEqual(decideRange(header, undefined, size, validators), full, header);
    }
    assert.deepEqual(decideRange(undefined, '"abc-1"', size, validators), full, 'If-Range alone');
  });

  it('honours If-Range only for the same strong ETag or the exact strong Last-Modified (§13.1.5)', () => {
    const range = 'bytes=10-19';
    assert.deepEqual(decideRange(range, '"abc-1"', size, validators), partial(10, 19));
    assert.deepEqual(decideRange(range, '"abc-2"', size, validators), full, 'other ETag');
    assert.deepEqual(decideRange(range, 'W/"abc-1"', size, validators), full, 'weak ETag');
    assert.deepEqual(
      decideRange(range, validators.lastModified, size, validators),
      partial(10, 19),
    );
    assert.deepEqual(
      decideRange(range, 'Tue, 24 Nov 2026 10:00:01 GMT', size, validators),
      full,
      'other date',
    );
    const weakDate = { ...validators, lastModifiedIsStrong: false };
    assert.deepEqual(
      decideRange(range, validators.lastModified, size, weakDate),
      full,
      'weak date',
    );
  });
});

describe('spanOf', () => {
  it('sends the whole file for a full answer, and an empty span for an empty file', () => {
    assert.deepEqual(spanOf({ kind: 'full' }, 1000), {
      firstByte: 0,
      lastByte: 999,
      lengthBytes: 1000,
      sizeBytes: 1000,
      partial: false,
    });
    assert.equal(spanOf({ kind: 'full' }, 0).lengthBytes, 0);
  });

  it('sends both ends of a range, inclusive', () => {
    assert.deepEqual(spanOf({ kind: 'partial', firstByte: 5, lastByte: 5 }, 1000), {
      firstByte: 5,
      lastByte: 5,
      lengthBytes: 1,
      sizeBytes: 1000,
      partial: true,
    });
  });
});
