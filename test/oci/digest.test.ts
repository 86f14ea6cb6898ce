import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestProblem, sha256DigestOf } from '../../src/oci/digest.ts';

const hello = Buffer.from('hello');
const helloDigest = 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';

describe('digestProblem', () => {
  it('accepts a lower-case sha256 digest only, naming what else it got', () => {
    assert.equal(digestProblem(helloDigest), undefined);
    assert.match(
      digestProblem(`sha512:${'a'.repeat(128)}`) ?? '',
      /only sha256 digests are accepted, got a "sha512" digest/,
    );
    assert.match(
      digestProblem(`sha256+b64u:${'a'.repeat(43)}`) ?? '',
      /got a "sha256\+b64u" digest/,
    );
    assert.match(
      digestProblem(helloDigest.toUpperCase().replace('SHA256', 'sha256')) ?? '',
      /lower-case hex/,
    );
    assert.match(digestProblem('sha256:abc') ?? '', /got 3 characters/);
    assert.match(
      digestProblem('2cf24dba') ?? '',
      /expected a digest such as sha256:<64 hex digits>, got "2cf24dba"/,
    );
  });
});

describe('sha256DigestOf', () => {
  it('names the sha256 of the bytes as a digest', () => {
    assert.equal(sha256DigestOf(hello), helloDigest);
  });
});
