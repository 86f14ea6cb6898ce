// Tests for the token issuer alone: what it grants to whom, what it records, and that its
// tokens are ES256 JWTs whose kid is the libtrust ID that openssl and base32 compute too.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { verify, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { httpGet } from '../http-get.ts';
import { basic } from './client.ts';
import { libtrustKeyId, parseScope, startTokenIssuer } from './token-issuer.ts';

const run = promisify(execFile);

function decode(token: string) {
  const [header = '', claims = '', signature = ''] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString()),
    claims: JSON.parse(Buffer.from(claims, 'base64url').toString()),
    signed: Buffer.from(`${header}.${claims}`),
    signature: Buffer.from(signature, 'base64url'),
  };
}

/** The signing certificate: the last one in the bundle the registry is given. */
async function signingCertificate(bundlePath: string): Promise<X509Certificate> {
  const pems = (await readFile(bundlePath, 'utf8')).match(
    /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g,
  );
  return new X509Certificate(pems?.at(-1) ?? '');
}

test('a known user gets what it asked for in every scope; the token is an ES256 JWT for the service', async () => {
  await using issuer = await startTokenIssuer();
  const query =
    'service=registry.test&scope=repository:team/app:pull,push&scope=repository:team/lib:pull';
  const answer = await httpGet(`${issuer.realm}?${query}`, {
    headers: { authorization: basic(issuer.credentials) },
  });
  assert.equal(answer.status, 200);
  const {
    token,
    access_token: accessToken,
    expires_in: expiresIn,
  } = JSON.parse(answer.body.toString());
  assert.equal(token, accessToken);
  assert.equal(expiresIn, 300);

  const { header, claims, signed, signature } = decode(token);
  const certificate = await signingCertificate(issuer.rootCertBundle);
  assert.deepEqual(header, { typ: 'JWT', alg: 'ES256', kid: libtrustKeyId(certificate) });
  assert.ok(
    verify('sha256', signed, { key: certificate.publicKey, dsaEncoding: 'ieee-p1363' }, signature),
  );
  assert.equal(signature.length, 64, 'r||s, 32 bytes each');
  assert.equal(claims.iss, issuer.issuer);
  assert.equal(claims.aud, issuer.service);
  assert.equal(claims.sub, issuer.credentials.username);
  assert.equal(claims.exp - claims.iat, 300);
  assert.ok(claims.nbf <= claims.iat);
  assert.deepEqual(claims.access, [
    { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
    { type: 'repository', name: 'team/lib', actions: ['pull'] },
  ]);
  assert.deepEqual(
    issuer.requests.map((r) => [r.authorized, r.username, r.status, r.scopes]),
    [[true, 'tester', 200, ['repository:team/app:pull,push', 'repository:team/lib:pull']]],
  );
  assert.equal(issuer.requests[0]?.token, token);
});

test('no or wrong credentials get 401, unless anonymous pulls are allowed: then a pull-only token', async () => {
  const url = (realm: string) =>
    `${realm}?service=registry.test&scope=repository:team/app:pull,push`;
  await using strict = await startTokenIssuer();
  assert.equal((await httpGet(url(strict.realm))).status, 401);
  const wrong = { authorization: basic({ username: 'tester', password: 'nope' }) };
  assert.equal((await httpGet(url(strict.realm), { headers: wrong })).status, 401);

  await using open = await startTokenIssuer({ allowAnonymous: true });
  assert.equal((await httpGet(url(open.realm), { headers: wrong })).status, 401, 'still wrong');
  const anonymous = await httpGet(url(open.realm));
  assert.equal(anonymous.status, 200);
  const { claims } = decode(JSON.parse(anonymous.body.toString()).token);
  assert.equal(claims.sub, '');
  assert.deepEqual(claims.access, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
  assert.deepEqual(
    open.requests.map((r) => [r.authorized, r.status]),
    [
      [true, 401],
      [false, 200],
    ],
  );
});

test('x5c: the token carries the signing certificate instead of a kid', async () => {
  await using issuer = await startTokenIssuer({ keyReference: 'x5c' });
  const { header } = decode(issuer.issue([]));
  const certificate = await signingCertificate(issuer.rootCertBundle);
  assert.deepEqual(header, { typ: 'JWT', alg: 'ES256', x5c: [certificate.raw.toString('base64')] });
});

test('libtrustKeyId matches openssl + coreutils: base32 of the first 30 bytes of sha256(SPKI DER), in groups of 4', async () => {
  await using issuer = await startTokenIssuer();
  const certificate = await signingCertificate(issuer.rootCertBundle);
  const pipeline =
    'openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | ' +
    'openssl dgst -sha256 -binary | head -c 30 | base32 -w0';
  const { stdout } = await run('sh', ['-c', `printf '%s' "$PEM" | ${pipeline}`], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PEM: certificate.toString() },
  });
  assert.match(stdout, /^[A-Z2-7]{48}$/);
  assert.equal(libtrustKeyId(certificate), stdout.match(/.{4}/g)?.join(':'));
});

test('parseScope: the name may hold colons (a registry port); actions are split on commas', () => {
  assert.deepEqual(parseScope('repository:localhost:5000/team/app:pull,push'), {
    type: 'repository',
    name: 'localhost:5000/team/app',
    actions: ['pull', 'push'],
  });
  assert.deepEqual(parseScope('registry:catalog:*'), {
    type: 'registry',
    name: 'catalog',
    actions: ['*'],
  });
});
