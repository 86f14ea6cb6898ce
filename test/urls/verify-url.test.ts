import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { describe, it, mock } from 'node:test';
import { queryParameter } from '../../src/urls/canonical.ts';
import { signUrl } from '../../src/urls/sign-url.ts';
import { verifySignedUrl } from '../../src/urls/verify-url.ts';

const oldSecret = 'o'.repeat(43);
const newSecret = 'n'.repeat(43);
const signedAt = new Date('2026-11-24T12:00:00Z');
const inFiveMinutes = new Date(signedAt.getTime() + 5 * 60_000);

function signed(secret = newSecret, ttlSeconds = 900): URL {
  return new URL(
    signUrl({ baseUrl: 'http://h:1', path: '/app.jar', ttlSeconds, secret, now: signedAt }),
  );
}

function reasonOf(url: string | URL, secrets: string | string[], now = inFiveMinutes): string {
  const result = verifySignedUrl(url, secrets, now);
  return result.ok ? 'ok' : result.reason;
}

describe('verifySignedUrl', () => {
  it('accepts its own signature and says which path, key and expiry it proved', () => {
    const url = signed();
    const result = verifySignedUrl(url.href, newSecret, inFiveMinutes);
    assert.ok(result.ok);
    assert.equal(result.path, '/app.jar');
    assert.equal(result.keyId, url.searchParams.get(queryParameter.keyId));
    assert.equal(result.expiresAt.toISOString(), '2026-11-24T12:15:00.000Z');
  });

  it('rejects a tampered path', () => {
    const url = signed();
    url.pathname = '/other.jar';
    assert.equal(reasonOf(url, newSecret), 'bad-signature');
  });

  it('rejects a tampered expiry', () => {
    const url = signed();
    const expires = Number(url.searchParams.get(queryParameter.expires));
    url.searchParams.set(queryParameter.expires, String(expires + 3600));
    assert.equal(reasonOf(url, newSecret), 'bad-signature');
  });

  it('rejects a signature made with another secret, even under the right key id', () => {
    assert.equal(reasonOf(signed(oldSecret), newSecret), 'unknown-key');
    const forged = signed(oldSecret);
    forged.searchParams.set(
      queryParameter.keyId,
      signed(newSecret).searchParams.get(queryParameter.keyId) ?? '',
    );
    assert.equal(reasonOf(forged, newSecret), 'bad-signature');
  });

  it('rejects an expired URL once the clock-skew allowance is used up', () => {
    const url = signed(newSecret, 60);
    const expiry = signedAt.getTime() + 60_000;
    assert.equal(reasonOf(url, newSecret, new Date(expiry + 59_000)), 'ok', 'within the 60 s skew');
    assert.equal(reasonOf(url, newSecret, new Date(expiry + 61_000)), 'expired');
    const strict = verifySignedUrl(url, newSecret, new Date(expiry + 1000), {
      clockSkewSeconds: 0,
    });
    assert.deepEqual(strict.ok ? 'ok' : [strict.reason, strict.message], [
      'expired',
      'Request has expired (at 2026-11-24T12:01:00.000Z)',
    ]);
  });

  it('rotates keys: old URLs verify while the old secret is listed, and stop when it is removed', () => {
    const oldUrl = signed(oldSecret);
    const newUrl = signed(newSecret);
    assert.equal(reasonOf(oldUrl, [newSecret, oldSecret]), 'ok');
    assert.equal(reasonOf(newUrl, [newSecret, oldSecret]), 'ok');
    assert.equal(reasonOf(oldUrl, [newSecret]), 'unknown-key');
  });

  it('rejects missing and malformed parameters', () => {
    const url = signed();
    const missing = new URL(url);
    missing.searchParams.delete(queryParameter.signature);
    assert.equal(reasonOf(missing, newSecret), 'missing-signature');
    const short = new URL(url);
    short.searchParams.set(queryParameter.signature, 'abc');
    assert.equal(reasonOf(short, newSecret), 'malformed');
    const badExpiry = new URL(url);
    badExpiry.searchParams.set(queryParameter.expires, '1e9');
    assert.equal(reasonOf(badExpiry, newSecret), 'malformed');
    assert.equal(reasonOf('no url at all', newSecret), 'malformed');
  });

  it('reads a string URL as sent: dot segments are not resolved into the signed path', () => {
    const url = signed();
    const dotted = `http://h:1/x/..${url.pathname}${url.search}`;
    assert.equal(reasonOf(dotted, newSecret), 'bad-signature');
    assert.equal(
      reasonOf(`${url.pathname}${url.search}`, newSecret),
      'ok',
      'origin-form works too',
    );
  });

  it('compares signatures with crypto.timingSafeEqual', () => {
    const spy = mock.method(crypto, 'timingSafeEqual');
    syncBuiltinESMExports();
    try {
      const url = signed();
      const signature = Buffer.from(
        url.searchParams.get(queryParameter.signature) ?? '',
        'base64url',
      );
      signature[0] = (signature[0] ?? 0) ^ 1;
      url.searchParams.set(queryParameter.signature, signature.toString('base64url'));
      assert.equal(reasonOf(url, newSecret), 'bad-signature');
      assert.equal(spy.mock.callCount(), 1);
      const [given, expected] = spy.mock.calls[0]?.arguments ?? [];
      assert.deepEqual([given?.byteLength, expected?.byteLength], [32, 32]);
    } finally {
      spy.mock.restore();
      syncBuiltinESMExports();
    }
  });
});
