import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rangeProblem, resumeHeaders } from '../../../src/download/range/resume.ts';

describe('resume', () => {
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
});
