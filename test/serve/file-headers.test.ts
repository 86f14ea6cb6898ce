import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  fileHeaders,
  unsatisfiableHeaders,
  validatorHeaders,
} from '../../src/serve/file-headers.ts';
import { spanOf } from '../../src/serve/range.ts';
import type { FileValidators } from '../../src/serve/validators.ts';

const validators: FileValidators = {
  etag: '"abc-1"',
  lastModified: 'Tue, 24 Nov 2026 10:00:00 GMT',
  lastModifiedIsStrong: true,
};

describe('validatorHeaders', () => {
  it('carries the validators and forbids shared caches and transforms', () => {
    assert.deepEqual(validatorHeaders(validators), {
      etag: '"abc-1"',
      'last-modified': 'Tue, 24 Nov 2026 10:00:00 GMT',
      'cache-control': 'private, no-transform',
    });
  });
});

describe('fileHeaders', () => {
  it('describes a whole file without Content-Range, in a fixed order', () => {
    const headers = fileHeaders(
      validators,
      'application/java-archive',
      spanOf({ kind: 'full' }, 1000),
    );
    assert.deepEqual(Object.entries(headers), [
      ['accept-ranges', 'bytes'],
      ['etag', '"abc-1"'],
      ['last-modified', 'Tue, 24 Nov 2026 10:00:00 GMT'],
      ['cache-control', 'private, no-transform'],
      ['content-type', 'application/java-archive'],
      ['content-length', 1000],
    ]);
  });

  it('gives a part its length and Content-Range, even one that covers the whole file', () => {
    const part = fileHeaders(
      validators,
      'x',
      spanOf({ kind: 'partial', firstByte: 10, lastByte: 19 }, 1000),
    );
    assert.equal(part['content-length'], 10);
    assert.equal(part['content-range'], 'bytes 10-19/1000');
    const all = fileHeaders(
      validators,
      'x',
      spanOf({ kind: 'partial', firstByte: 0, lastByte: 999 }, 1000),
    );
    assert.equal(all['content-range'], 'bytes 0-999/1000');
  });
});

describe('unsatisfiableHeaders', () => {
  it('names the size and the validators, leaving type and caching to the text answer', () => {
    assert.deepEqual(unsatisfiableHeaders(validators, 1000), {
      'accept-ranges': 'bytes',
      etag: '"abc-1"',
      'last-modified': 'Tue, 24 Nov 2026 10:00:00 GMT',
      'content-range': 'bytes */1000',
    });
  });
});
