import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FetchError, RejectedError } from '../../src/errors.ts';
import { Redactor } from '../../src/log/redact.ts';
import { parseChallenges } from '../../src/resolve/challenge.ts';
import type { RegistryCredentials } from '../../src/resolve/credentials.ts';
import {
  basicAuthorization,
  parseTokenResponse,
  tokenClientId,
  tokenRequest,
} from '../../src/resolve/token.ts';

const bearer = (params: string) => {
  const [challenge] = parseChallenges(`Bearer ${params}`);
  assert.ok(challenge);
  return challenge;
};
const dockerHub = bearer(
  'realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:team/app:pull"',
);
const basic: RegistryCredentials = { kind: 'basic', username: 'robot', password: 's3cret:pa55' };
const identity: RegistryCredentials = {
  kind: 'identity-token',
  username: '<token>',
  identityToken: 'refresh-abc',
};

/** A pull of `repository`; the plain-HTTP list's setting as the loader names it. */
const pull = (
  repository: string,
  credentials: RegistryCredentials | undefined,
  plainHttp: boolean,
) => ({
  repository,
  credentials,
  registryIsPlainHttp: plainHttp,
  plainHttpSetting: 'LOADER_REGISTRY_PLAIN_HTTP',
});

describe('tokenRequest', () => {
  it('asks anonymously with GET, service and scope in the query', () => {
    const request = tokenRequest(dockerHub, pull('team/app', undefined, false));
    assert.equal(request.method, 'GET');
    assert.equal(
      request.url.href,
      'https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Ateam%2Fapp%3Apull',
    );
    assert.deepEqual(request.headers, {});
    assert.equal(request.body, undefined);
  });

  it('sends a user name and password as Basic, to the realm even on another host', () => {
    const request = tokenRequest(dockerHub, pull('team/app', basic, false));
    assert.equal(request.url.host, 'auth.docker.io');
    assert.deepEqual(request.headers, {
      authorization: `Basic ${Buffer.from('robot:s3cret:pa55').toString('base64')}`,
    });
  });

  it('keeps the query of the realm, repeats scope per entry, and asks for pull when no scope is given', () => {
    const two = bearer(
      'realm="https://r.example/auth?x=1",scope="repository:a:pull repository:b:pull"',
    );
    assert.deepEqual(
      [...tokenRequest(two, pull('a', undefined, false)).url.searchParams],
      [
        ['x', '1'],
        ['scope', 'repository:a:pull'],
        ['scope', 'repository:b:pull'],
      ],
    );
    const none = bearer('realm="https://r.example/token"');
    assert.equal(
      tokenRequest(none, pull('team/app', undefined, false)).url.search,
      '?scope=repository%3Ateam%2Fapp%3Apull',
    );
  });

  it('POSTs the refresh_token grant for an identity token, as oauth.md describes', () => {
    const request = tokenRequest(dockerHub, pull('team/app', identity, false));
    assert.equal(request.method, 'POST');
    assert.equal(request.url.href, 'https://auth.docker.io/token');
    assert.deepEqual(request.headers, { 'content-type': 'application/x-www-form-urlencoded' });
    assert.deepEqual(Object.fromEntries(new URLSearchParams(request.body)), {
      grant_type: 'refresh_token',
      refresh_token: 'refresh-abc',
      service: 'registry.docker.io',
      client_id: tokenClientId,
      scope: 'repository:team/app:pull',
    });
  });

  it('sends nothing over plain HTTP unless the registry itself is plain-HTTP-listed', () => {
    const plain = bearer('realm="http://registry.internal:5000/token",service="r"');
    assert.throws(
      () => tokenRequest(plain, pull('a', basic, false)),
      (error: Error) =>
        error instanceof RejectedError &&
        /token service http:\/\/registry\.internal:5000\/token over plain HTTP; .*LOADER_REGISTRY_PLAIN_HTTP/.test(
          error.message,
        ),
    );
    assert.equal(tokenRequest(plain, pull('a', basic, true)).url.protocol, 'http:');
  });

  it('refuses a missing, unparsable, non-HTTP or credential-bearing realm', () => {
    for (const [params, message] of [
      ['service="r"', /has no realm; expected realm="https:\/\/…"/],
      ['realm="not a url"', /has a realm that is not a URL/],
      [
        'realm="ftp://r.example/token"',
        /token service ftp:\/\/r\.example\/token; expected an https:\/\/ URL/,
      ],
      ['realm="https://u:p@r.example/token"', /has a user name or password in its URL/],
    ] as const) {
      assert.throws(() => tokenRequest(bearer(params), pull('a', undefined, false)), message);
    }
  });
});

describe('basicAuthorization', () => {
  it('refuses an identity token, which only a token service takes', () => {
    assert.throws(
      () => basicAuthorization(identity),
      /asks for Basic authentication, but the auth file holds an identitytoken/,
    );
  });
});

describe('parseTokenResponse', () => {
  const realm = new URL('https://auth.example/token?account=me');
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));

  it('takes token, else access_token, and registers every token with the redactor', () => {
    const redactor = new Redactor();
    assert.deepEqual(
      parseTokenResponse(
        json({
          token: 'primary-token-1',
          access_token: 'oauth-token-2',
          refresh_token: 'refresh-token-3',
          expires_in: 300,
        }),
        realm,
        redactor,
      ),
      { token: 'primary-token-1', expiresInSeconds: 300 },
    );
    assert.equal(
      parseTokenResponse(json({ access_token: 'oauth-only-4' }), realm, redactor).token,
      'oauth-only-4',
    );
    for (const token of ['primary-token-1', 'oauth-token-2', 'refresh-token-3', 'oauth-only-4'])
      assert.equal(redactor.scrub(`Bearer ${token}`), 'Bearer [redacted]', token);
  });

  it('reads expires_in as 60 s when missing, not a number, or shorter (token.md)', () => {
    const redactor = new Redactor();
    for (const expires_in of [undefined, 'soon', 10, -5, Number.NaN])
      assert.equal(
        parseTokenResponse(json({ token: 't0ken', expires_in }), realm, redactor).expiresInSeconds,
        60,
      );
    assert.equal(
      parseTokenResponse(json({ token: 't0ken', expires_in: 3600.9 }), realm, redactor)
        .expiresInSeconds,
      3600,
    );
  });

  it('refuses an answer without a usable token, never quoting the body', () => {
    const redactor = new Redactor();
    const cases = [
      [Buffer.from('<html>secret-page</html>'), /answered with a body that is not JSON/],
      [
        json({ token: '' }),
        /answered without a token; expected JSON with "token" or "access_token"/,
      ],
      [json(['token']), /answered without a token/],
      [json({ token: 42 }), /answered without a token/],
      [Buffer.alloc(1024 * 1024 + 1, 0x20), /too large for a token \(at most 1048576\)/],
    ] as const;
    for (const [body, message] of cases) {
      assert.throws(
        () => parseTokenResponse(body, realm, redactor),
        (error: Error) =>
          error instanceof FetchError &&
          !error.transient &&
          message.test(error.message) &&
          error.message.startsWith('the token service https://auth.example/token ') &&
          !error.message.includes('secret-page'),
      );
    }
  });
});
