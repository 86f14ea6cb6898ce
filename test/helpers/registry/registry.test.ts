// Tests for the registry harness against the real docker-registry: each auth mode, a
// pull-through cache, https, and clean stops. Pulls are done by hand with plain node:http.
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { httpGet } from '../http-get.ts';
import { serve } from '../loopback-server.ts';
import { makeTestPki } from '../tls.ts';
import { randomBytesBuffer } from '../tmp.ts';
import { pushArtifact } from './artifact.ts';
import { basic, type Credentials, parseChallenge } from './client.ts';
import { orasArtifact } from './oras.ts';
import { pushBlob } from './push.ts';
import { freePort, startRegistry } from './registry.ts';
import { type RelayedRequest, startRelay } from './relay.ts';
import { startTokenIssuer } from './token-issuer.ts';

const jar = randomBytesBuffer(50_000);
const shape = orasArtifact(jar);
const layerDigest = shape.blobs[1]?.digest ?? '';
const accept = { accept: shape.mediaType };
const user: Credentials = { username: 'alice', password: 'correct horse' };

describe('startRegistry', () => {
  test('anonymous: takes a push, serves manifest and blob back; stop() ends the process and removes its files', async () => {
    const registry = await startRegistry();
    try {
      assert.match(registry.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await httpGet(`${registry.origin}/v2/`)).status, 200);
      assert.equal(await pushArtifact(registry, 'team/app', 'v1', shape), shape.digest);

      const manifest = await httpGet(`${registry.origin}/v2/team/app/manifests/v1`, {
        headers: accept,
      });
      assert.equal(manifest.status, 200);
      assert.deepEqual(manifest.body, shape.manifest);
      assert.equal(manifest.headers['docker-content-digest'], shape.digest);
      assert.equal(manifest.headers['content-type'], shape.mediaType);
      const blob = await httpGet(`${registry.origin}/v2/team/app/blobs/${layerDigest}`);
      assert.equal(blob.status, 200);
      assert.deepEqual(blob.body, jar);

      assert.ok(registry.peakRssBytes() > 1_000_000, 'VmHWM is read from /proc');
    } finally {
      await registry.stop();
    }
    assert.throws(() => process.kill(registry.pid, 0), { code: 'ESRCH' });
    await assert.rejects(access(registry.dataDir), { code: 'ENOENT' });
    await registry.stop();
  });

  test('htpasswd: a Basic challenge without or with wrong credentials, 200 with the right ones', async () => {
    await using registry = await startRegistry({ auth: { kind: 'htpasswd', credentials: user } });
    await pushArtifact(registry, 'team/app', 'v1', shape, user);
    const url = `${registry.origin}/v2/team/app/manifests/v1`;

    const anonymous = await httpGet(url, { headers: accept });
    assert.equal(anonymous.status, 401);
    assert.equal(parseChallenge(anonymous.headers['www-authenticate'] ?? '').scheme, 'basic');
    const wrong = { ...accept, authorization: basic({ ...user, password: 'wrong' }) };
    assert.equal((await httpGet(url, { headers: wrong })).status, 401);
    const right = await httpGet(url, { headers: { ...accept, authorization: basic(user) } });
    assert.equal(right.status, 200);
    assert.deepEqual(right.body, shape.manifest);
  });

  for (const keyReference of ['kid', 'x5c'] as const) {
    test(`token (${keyReference}): challenge names our realm; the token flow by hand pulls what was pushed`, async () => {
      await using issuer = await startTokenIssuer({ keyReference, credentials: user });
      await using registry = await startRegistry({ auth: { kind: 'token', issuer } });
      await pushArtifact(registry, 'team/app', 'v1', shape, user);
      const url = `${registry.origin}/v2/team/app/manifests/v1`;

      const challenged = await httpGet(url, { headers: accept });
      assert.equal(challenged.status, 401);
      const { scheme, params } = parseChallenge(challenged.headers['www-authenticate'] ?? '');
      assert.equal(scheme, 'bearer');
      assert.deepEqual(params, {
        realm: issuer.realm,
        service: issuer.service,
        scope: 'repository:team/app:pull',
      });
      const tokenUrl = `${params.realm}?service=${params.service}&scope=${params.scope}`;
      assert.equal((await httpGet(tokenUrl)).status, 401, 'no anonymous tokens by default');
      const wrong = basic({ ...user, password: 'wrong' });
      assert.equal((await httpGet(tokenUrl, { headers: { authorization: wrong } })).status, 401);
      const answer = await httpGet(tokenUrl, { headers: { authorization: basic(user) } });
      assert.equal(answer.status, 200);
      const body = JSON.parse(answer.body.toString());
      assert.equal(body.token, body.access_token);
      assert.equal(body.expires_in, 300);
      assert.ok(!Number.isNaN(Date.parse(body.issued_at)));

      const bearer = { authorization: `Bearer ${body.token}` };
      const manifest = await httpGet(url, { headers: { ...accept, ...bearer } });
      assert.equal(manifest.status, 200);
      assert.deepEqual(manifest.body, shape.manifest);
      const blob = await httpGet(`${registry.origin}/v2/team/app/blobs/${layerDigest}`, {
        headers: bearer,
      });
      assert.deepEqual(blob.body, jar);

      const last = issuer.requests.at(-1);
      assert.equal(last?.username, user.username);
      assert.deepEqual(last?.scopes, ['repository:team/app:pull']);
      assert.equal(last?.service, issuer.service);
    });
  }

  test('token: the registry refuses a token for another audience, issuer, expired, or without the scope', async () => {
    await using issuer = await startTokenIssuer({ credentials: user });
    await using registry = await startRegistry({ auth: { kind: 'token', issuer } });
    await pushArtifact(registry, 'team/app', 'v1', shape, user);
    const url = `${registry.origin}/v2/team/app/manifests/v1`;
    const pull = [{ type: 'repository', name: 'team/app', actions: ['pull'] }];
    const statusWith = async (token: string) => {
      const answer = await httpGet(url, {
        headers: { ...accept, authorization: `Bearer ${token}` },
      });
      return [answer.status, parseChallenge(answer.headers['www-authenticate'] ?? '').params.error];
    };
    assert.deepEqual(await statusWith(issuer.issue(pull)), [200, undefined]);
    const nowSeconds = Math.floor(Date.now() / 1000);
    for (const overrides of [
      { aud: 'elsewhere' },
      { iss: 'someone else' },
      { exp: nowSeconds - 120 },
    ]) {
      assert.deepEqual(await statusWith(issuer.issue(pull, overrides)), [401, 'invalid_token']);
    }
    const otherRepo = [{ type: 'repository', name: 'team/other', actions: ['pull'] }];
    assert.deepEqual(await statusWith(issuer.issue(otherRepo)), [401, 'insufficient_scope']);
    const forged = `${issuer.issue(pull).slice(0, -4)}AAAA`;
    assert.deepEqual(await statusWith(forged), [401, 'invalid_token']);
  });

  test('token with anonymous pulls allowed: pulls without credentials, but pushes are refused', async () => {
    await using issuer = await startTokenIssuer({ allowAnonymous: true });
    await using registry = await startRegistry({ auth: { kind: 'token', issuer } });
    await pushArtifact(registry, 'team/app', 'v1', shape, issuer.credentials);
    const url = `${registry.origin}/v2/team/app/manifests/v1`;
    const { params } = parseChallenge((await httpGet(url)).headers['www-authenticate'] ?? '');
    const answer = await httpGet(`${params.realm}?service=${params.service}&scope=${params.scope}`);
    assert.equal(answer.status, 200);
    const { token } = JSON.parse(answer.body.toString());
    const manifest = await httpGet(url, {
      headers: { ...accept, authorization: `Bearer ${token}` },
    });
    assert.equal(manifest.status, 200);
    assert.equal(issuer.requests.at(-1)?.authorized, false);

    await assert.rejects(pushBlob(registry, 'team/app', Buffer.from('x')), /expected 202, got 401/);
  });

  test('pull-through cache: serves a blob it did not have, fetched from the upstream with a token got with the proxy credentials, then from its store', async () => {
    // Distribution 2.8 hands proxy.username/password only to a Bearer realm
    // (registry/proxy/proxyauth.go getAuthURLs), so an authenticated upstream must use tokens.
    await using issuer = await startTokenIssuer({ credentials: user });
    await using upstream = await startRegistry({ auth: { kind: 'token', issuer } });
    await pushArtifact(upstream, 'team/app', 'v1', shape, user);
    await using relay = await startRelay(upstream.origin);
    await using cache = await startRegistry({
      proxy: { remoteUrl: relay.origin, credentials: user },
    });
    const blobUrl = `${cache.origin}/v2/team/app/blobs/${layerDigest}`;

    const manifest = await httpGet(`${cache.origin}/v2/team/app/manifests/v1`, { headers: accept });
    assert.equal(manifest.status, 200);
    assert.deepEqual(manifest.body, shape.manifest);
    const first = await httpGet(blobUrl);
    assert.equal(first.status, 200);
    assert.deepEqual(first.body, jar);
    // Logged once the blob is in the cache's own store (registry/proxy/proxyblobstore.go).
    await cache.waitForLog(new RegExp(`Adding new scheduler entry for team/app@${layerDigest}`));

    // One GET to answer the client and one to fill the store: Distribution 2.8 fetches twice.
    const isLayerGet = (r: RelayedRequest) => r.method === 'GET' && r.blobDigest === layerDigest;
    const upstreamGets = await relay.waitFor(isLayerGet, 2);
    assert.equal(upstreamGets.length, 2);
    for (const get of upstreamGets) {
      assert.match(get.headers.authorization ?? '', /^Bearer /);
      assert.equal(get.bytesSent, jar.length);
    }
    assert.ok(issuer.requests.some((r) => r.username === user.username && r.status === 200));
    const second = await httpGet(blobUrl);
    assert.deepEqual(second.body, jar);
    // An upstream fetch would reach the relay before the cache could answer.
    assert.equal(
      relay.requests.filter(isLayerGet).length,
      2,
      'the second pull came from the store',
    );
  });

  test('https with a test certificate, trusted through its CA', async () => {
    await using pki = await makeTestPki();
    await using registry = await startRegistry({ tls: pki });
    assert.match(registry.origin, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(registry.caCert, pki.caCert);
    await pushArtifact(registry, 'team/app', 'v1', shape);
    const manifest = await httpGet(`${registry.origin}/v2/team/app/manifests/v1`, {
      headers: accept,
      ca: pki.caCert,
    });
    assert.deepEqual(manifest.body, shape.manifest);
    await using relay = await startRelay(registry.origin, { caCert: pki.caCert });
    assert.equal(
      (await httpGet(`${relay.origin}/v2/`)).status,
      200,
      'a relay in front speaks https',
    );
    await assert.rejects(httpGet(`${registry.origin}/v2/`), {
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
  });

  test('a port taken between the probe and the bind: the start is retried on another port', async () => {
    await using taken = await serve((_request, response) => response.end());
    const takenPort = Number(new URL(taken.origin).port);
    const ports: number[] = [];
    const portSource = async () => {
      const port = ports.length === 0 ? takenPort : await freePort();
      ports.push(port);
      return port;
    };
    await using registry = await startRegistry({ portSource });
    assert.equal(ports.length, 2);
    assert.equal(registry.host, `127.0.0.1:${ports[1]}`);
    assert.equal((await httpGet(`${registry.origin}/v2/`)).status, 200);

    await assert.rejects(
      startRegistry({ portSource: async () => takenPort }),
      /no free port after 5 tries/,
    );
  });

  test('a cache whose upstream does not answer fails to start, and the error shows its log', async () => {
    const relay = await startRelay('http://127.0.0.1:9');
    await relay.close();
    await assert.rejects(
      startRegistry({ proxy: { remoteUrl: relay.origin } }),
      /exited before listening/,
    );
  });
});
