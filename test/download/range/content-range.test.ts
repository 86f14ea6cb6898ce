import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContentRange } from '../../../src/download/range/content-range.ts';

describe('parseContentRange', () => {
  it('parses Content-Range and refuses malformed ones', () => {
    assert.deepEqual(parseContentRange('bytes 100-199/200'), {
      firstByte: 100,
      lastByte: 199,
      totalBytes: 200,
    });
    assert.deepEqual(parseContentRange('bytes 0-9/*'), {
      firstByte: 0,
      lastByte: 9,
      totalBytes: undefined,
    });
    for (const bad of ['bytes 10-5/20', 'items 0-1/2', 'bytes */200', '', undefined]) {
      assert.equal(parseContentRange(bad), undefined, String(bad));
    }
  });
});
