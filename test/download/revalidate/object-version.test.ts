import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  conditionalHeaders,
  objectVersionOf,
} from '../../../src/download/revalidate/object-version.ts';

describe('object version', () => {
  it('keeps the ETag as sent and a Last-Modified that parses', () => {
    assert.deepEqual(
      objectVersionOf({ etag: 'W/"x"', 'last-modified': 'Tue, 24 Nov 2026 10:00:00 GMT' }),
      { etag: 'W/"x"', lastModified: 'Tue, 24 Nov 2026 10:00:00 GMT' },
    );
    assert.deepEqual(objectVersionOf({ 'last-modified': 'not a date' }), {
      etag: undefined,
      lastModified: undefined,
    });
    assert.equal(objectVersionOf({ etag: `"${'x'.repeat(300)}"` }).etag, undefined, 'too long');
  });

  it('asks If-None-Match only with a strong ETag, If-Modified-Since with the date', () => {
    const lastModified = 'Tue, 24 Nov 2026 10:00:00 GMT';
    assert.deepEqual(conditionalHeaders({ etag: '"v1"', lastModified }), {
      'if-none-match': '"v1"',
      'if-modified-since': lastModified,
    });
    assert.deepEqual(conditionalHeaders({ etag: 'W/"v1"', lastModified: undefined }), {});
    assert.deepEqual(conditionalHeaders({ etag: undefined, lastModified }), {
      'if-modified-since': lastModified,
    });
  });
});
