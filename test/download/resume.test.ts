import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseContentRange,
  rangeProblem,
  resumeHeaders,
  sameVersion,
  validatorOf,
} from '../../src/download/resume.ts';

describe('resume', () => {
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

  it('asks for the rest with If-Range on the validator', () => {
    assert.deepEqual(resumeHeaders(100, { etag: '"v1"', lastModified: undefined }), {
      range: 'bytes=100-',
      'if-range': '"v1"',
    });
  });

  it('asks for a closed range when a last byte is given', () => {
    assert.deepEqual(resumeHeaders(100, { etag: undefined, lastModified: 'date' }, 199), {
      range: 'bytes=100-199',
      'if-range': 'date',
    });
  });

  it('takes a 206 only for exactly the range asked, from the same version', () => {
    const v1 = { etag: '"v1"', lastModified: undefined };
    const answer = (contentRange: string, etag = '"v1"') => ({
      'content-range': contentRange,
      etag,
    });
    assert.equal(rangeProblem(answer('bytes 100-199/1000'), v1, 100, 199), undefined);
    assert.match(
      rangeProblem(answer('bytes 100-999/1000'), v1, 100, 199) ?? '',
      /bytes 100-999 when 100-199/,
    );
    assert.match(rangeProblem(answer('bytes 100-199/1000', '"v2"'), v1, 100, 199) ?? '', /changed/);
    assert.match(rangeProblem(answer('bytes 100-199/1000'), undefined, 100, 199) ?? '', /changed/);
    assert.match(rangeProblem(answer('bytes 100-199/*'), v1, 100, 199) ?? '', /no total/);
    assert.match(rangeProblem({ etag: '"v1"' }, v1, 100, 199) ?? '', /without a valid/);
  });

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

  it('detects a changed object', () => {
    assert.equal(sameVersion({ etag: '"v1"', lastModified: undefined }, { etag: '"v1"' }), true);
    assert.equal(sameVersion({ etag: '"v1"', lastModified: undefined }, { etag: '"v2"' }), false);
    assert.equal(sameVersion({ etag: '"v1"', lastModified: undefined }, {}), false);
  });
});
