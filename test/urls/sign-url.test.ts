import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { canonicalString, queryParameter } from '../../src/urls/canonical.ts';
import { signingKey } from '../../src/urls/keys.ts';
import { SignUrlError, signUrl } from '../../src/urls/sign-url.ts';

const secret = 'k'.repeat(40);
const now = new Date('2026-11-24T12:00:00Z');

describe('signUrl', () => {
  it('puts expiry, key id and an HMAC-SHA256 of the documented canonical string in the query', () => {
    const url = new URL(
      signUrl({ baseUrl: 'http://127.0.0.1:8080', path: '/app.jar', ttlSeconds: 900, secret, now }),
    );
    assert.equal(url.origin, 'http://127.0.0.1:8080');
    assert.equal(url.pathname, '/app.jar');
    const expires = url.searchParams.get(queryParameter.expires);
    const keyId = url.searchParams.get(queryParameter.keyId);
    assert.equal(expires, String(now.getTime() / 1000 + 900));
    assert.equal(keyId, signingKey(secret).id);
    // Recomputed here from the documented scheme, independently of keys.ts.
    const canonical = `RL1-HMAC-SHA256\nGET\n/app.jar\n${expires}\n${keyId}`;
    assert.equal(
      canonicalString({
        path: '/app.jar',
        expiresUnixSeconds: Number(expires),
        keyId: keyId ?? '',
      }),
      canonical,
    );
    const expected = createHmac('sha256', secret).update(canonical).digest('base64url');
    assert.equal(url.searchParams.get(queryParameter.signature), expected);
  });

  it('takes an absolute expiry instead of a TTL', () => {
    const expiresAt = new Date('2026-11-24T12:34:56Z');
    const url = new URL(
      signUrl({ baseUrl: 'https://a.example', path: '/x.jar', expiresAt, secret }),
    );
    assert.equal(url.searchParams.get(queryParameter.expires), String(expiresAt.getTime() / 1000));
  });

  it('signs the path as it goes on the wire, percent-encoded', () => {
    const url = new URL(
      signUrl({
        baseUrl: 'http://h',
        path: '/releases/v1 final/app.jar',
        ttlSeconds: 60,
        secret,
        now,
      }),
    );
    assert.equal(url.pathname, '/releases/v1%20final/app.jar');
  });

  it('derives a stable 16-hex key id from the secret, different for another secret', () => {
    assert.match(signingKey(secret).id, /^[0-9a-f]{16}$/);
    assert.equal(signingKey(secret).id, signingKey(Buffer.from(secret)).id);
    assert.notEqual(signingKey(secret).id, signingKey('m'.repeat(40)).id);
  });

  it('refuses what would make a bad URL, naming the problem', () => {
    const base = { baseUrl: 'http://h', path: '/app.jar', ttlSeconds: 60, secret, now };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ secret: 'short' }, /^secret is not usable: .*at least 32/],
      [{ baseUrl: 'ftp://h' }, /^baseUrl must be an http\(s\) origin/],
      [{ baseUrl: 'http://h/prefix' }, /^baseUrl must be an origin only/],
      [{ baseUrl: 'http://user:pw@h' }, /^baseUrl must be an origin only/],
      [{ path: 'app.jar' }, /^path must start with "\/"/],
      [{ path: '/a/../app.jar' }, /^path must not contain "\." or "\.\."/],
      [{ path: '/%2e%2e/app.jar' }, /^path must not contain "\." or "\.\."/],
      [{ path: '/app.jar?x=1' }, /^path must not contain/],
      [{ ttlSeconds: 0 }, /^ttlSeconds must be a positive/],
      [{ expiresAt: new Date(Number.NaN), ttlSeconds: undefined }, /^expiresAt is an invalid Date/],
    ];
    for (const [override, message] of cases) {
      // The option and the problem also come apart, for a caller that names the option otherwise.
      const [option = ''] = Object.keys(override);
      assert.throws(
        () => signUrl({ ...base, ...override } as never),
        (error: unknown) =>
          error instanceof SignUrlError &&
          error instanceof TypeError &&
          message.test(error.message) &&
          error.option === option &&
          error.message === `${option} ${error.problem}`,
        JSON.stringify(override),
      );
    }
  });
});
