import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  conditionalHeaders,
  notModifiedMismatch,
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

  it('asks If-None-Match with the ETag, weak or strong, and If-Modified-Since with the date', () => {
    const lastModified = 'Tue, 24 Nov 2026 10:00:00 GMT';
    assert.deepEqual(conditionalHeaders({ etag: '"v1"', lastModified }), {
      'if-none-match': '"v1"',
      'if-modified-since': lastModified,
    });
    // If-None-Match compares weakly (RFC 9110 §13.1.2): a weak tag is a question too.
    assert.deepEqual(conditionalHeaders({ etag: 'W/"v1"', lastModified }), {
      'if-none-match': 'W/"v1"',
      'if-modified-since': lastModified,
    });
    assert.deepEqual(conditionalHeaders({ etag: 'v1', lastModified: undefined }), {}, 'no tag');
    assert.deepEqual(conditionalHeaders({ etag: undefined, lastModified }), {
      'if-modified-since': lastModified,
    });
    assert.deepEqual(conditionalHeaders({ etag: undefined, lastModified: undefined }), {});
  });

  describe('a 304 against the record', () => {
    const lastModified = 'Tue, 24 Nov 2026 10:00:00 GMT';
    const earlier = 'Mon, 23 Nov 2026 10:00:00 GMT';
    const recorded = { etag: '"v1"', lastModified };

    it('matches when every validator it carries is the recorded one (ETags compared weakly)', () => {
      assert.equal(
        notModifiedMismatch(recorded, { etag: '"v1"', 'last-modified': lastModified }),
        undefined,
      );
      assert.equal(notModifiedMismatch(recorded, { etag: 'W/"v1"' }), undefined);
      assert.equal(
        notModifiedMismatch({ etag: 'W/"v1"', lastModified }, { etag: '"v1"' }),
        undefined,
      );
      assert.equal(notModifiedMismatch(recorded, {}), undefined, 'carries none');
    });

    it('does not match another ETag, another date, or a validator the record lacks', () => {
      assert.deepEqual(
        notModifiedMismatch(recorded, { etag: '"v2"', 'last-modified': lastModified }),
        {
          validator: 'ETag',
          answered: '"v2"',
          recorded: '"v1"',
        },
      );
      // A rollback: the older object's weak tag and date.
      assert.deepEqual(
        notModifiedMismatch(
          { etag: 'W/"new"', lastModified },
          { etag: 'W/"old"', 'last-modified': earlier },
        ),
        { validator: 'ETag', answered: 'W/"old"', recorded: 'W/"new"' },
      );
      assert.deepEqual(notModifiedMismatch(recorded, { 'last-modified': earlier }), {
        validator: 'Last-Modified',
        answered: earlier,
        recorded: lastModified,
      });
      assert.deepEqual(notModifiedMismatch({ etag: undefined, lastModified }, { etag: '"v1"' }), {
        validator: 'ETag',
        answered: '"v1"',
        recorded: undefined,
      });
    });
  });
});
