import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAnnouncedSize } from '../../../src/download/range/announced-size.ts';
import { FetchError, SizeMismatchError } from '../../../src/errors.ts';

const where = 'http://host/app.jar';

describe('checkAnnouncedSize', () => {
  it('takes identical repeated values, as an array or a list, as one (RFC 9110 §8.6)', () => {
    for (const announced of [['1000', '1000'], '1000, 1000', '1000']) {
      assert.doesNotThrow(() =>
        checkAnnouncedSize(
          announced,
          { bytes: 1000, name: 'ARTIFACT_EXPECTED_SIZE' },
          where,
          'Content-Length',
        ),
      );
      assert.throws(
        () =>
          checkAnnouncedSize(
            announced,
            { bytes: 999, name: 'ARTIFACT_EXPECTED_SIZE' },
            where,
            'Content-Length',
          ),
        SizeMismatchError,
      );
    }
  });

  it('refuses conflicting values at once, as not retried', () => {
    for (const announced of [['1000', '999'], '1000, 1001']) {
      assert.throws(
        () =>
          checkAnnouncedSize(
            announced,
            { bytes: 1000, name: 'ARTIFACT_EXPECTED_SIZE' },
            where,
            'Content-Length',
          ),
        (error: unknown) =>
          error instanceof FetchError &&
          !error.transient &&
          /conflicting sizes \(Content-Length: 1000, /.test(error.message),
      );
    }
  });

  it('leaves a value that is not digits to the body check', () => {
    for (const announced of [undefined, '', 'abc', ['12', 'x']]) {
      assert.doesNotThrow(() =>
        checkAnnouncedSize(
          announced,
          { bytes: 1000, name: 'ARTIFACT_EXPECTED_SIZE' },
          where,
          'Content-Length',
        ),
      );
    }
  });
});
