import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withoutCredentialShapes } from '../../src/log/server-text.ts';

describe('withoutCredentialShapes (server text)', () => {
  const cases: [string, string][] = [
    ['GET /app.jar?X-Amz-Signature=abc&X-Amz-Expires=300 denied', 'GET /app.jar?[redacted] denied'],
    ['sv=2022-11-02&ss=b&sig=AbCdEf%3D and more', '[redacted] and more'],
    ['invalid token: AbC+dEf/9xQ=', 'invalid token: [redacted]'],
    ['token="abc123456" given', 'token="[redacted]" given'],
    ['{"token":"AbC+dEf\\/9xQ="}', '{"token":"[redacted]"}'],
    ['rl-signature=abc rl-expires=123', 'rl-signature=[redacted] rl-expires=123'],
    ['X-Goog-Signature=0a1b2c', 'X-Goog-Signature=[redacted]'],
    [
      'Authorization: Bearer eyJhbGciOi.abc.def failed',
      'Authorization: [redacted] [redacted] failed',
    ],
    ['ftp://x//user:pass@y', 'ftp://x//[redacted]@y'],
  ];
  for (const [input, expected] of cases) {
    it(`redacts ${JSON.stringify(input)}`, () => {
      assert.equal(withoutCredentialShapes(input), expected);
    });
  }

  it('keeps the reasons a server gives', () => {
    for (const reason of [
      'SignatureDoesNotMatch: The request signature we calculated does not match',
      'ExpiredToken: The provided token has expired.',
      'AccessDenied: Request has expired (at 2026-11-24T00:00:00.000Z)',
      'NoSuchKey: The specified key does not exist.',
      'X-Amz-Expires=300 is too long',
      'why? nobody knows',
    ]) {
      assert.equal(withoutCredentialShapes(reason), reason);
    }
  });

  it('removes a signature from a whole Authorization header', () => {
    const redacted = withoutCredentialShapes(
      'Authorization: AWS4-HMAC-SHA256 Credential=AKIA/2026/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=deadbeef',
    );
    assert.doesNotMatch(redacted, /AKIA|deadbeef/);
  });
});
