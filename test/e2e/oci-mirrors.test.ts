// End-to-end tests of issue 21's mirrors against real registries: a pull-through cache
// (Distribution 2.8 with proxy.remoteurl) in front of the registry, each behind a counting
// relay. The tag is resolved at the registry; what is addressed by digest goes to the mirror
// first with ?ns=<registry>; a mirror that is down, answers 404 or sends wrong bytes is dropped
// for the run and the registry serves; a pinned digest is served by the mirror alone while the
// registry is down; credentials go to a mirror only when the auth file names it.
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildJar } from '../../scripts/jar.ts';
import { describeRun, eventsNamed, finalEvent, firstEventNamed } from '../helpers/events.ts';
import { dockerConfig, fastOciEnv } from '../helpers/oci-scenario.ts';
import { assertNothingPublished, assertPublished } from '../helpers/published.ts';
import { pushArtifact } from '../helpers/registry/artifact.ts';
import { basic, type Credentials } from '../helpers/registry/client.ts';
import {
  cosignKeyPair,
  signatureArtifact,
  signatureLayer,
  signatureTag,
} from '../helpers/registry/cosign.ts';
import { imageArtifact } from '../helpers/registry/image.ts';
import { orasArtifact } from '../helpers/registry/oras.ts';
import { sha256Digest } from '../helpers/registry/push.ts';
import { freePort, type RegistryOptions, startRegistry } from '../helpers/registry/registry.ts';
import { type RelayedRequest, type RelayOptions, startRelay } from '../helpers/registry/relay.ts';
import { assertNoSecret, runLoader } from '../helpers/run-loader.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const jar = await buildJar();
const oras = orasArtifact(jar);
const image = imageArtifact(jar);
const user: Credentials = { username: 'robot', password: 'Mirr0r-Test-Passw0rd' };
const fromLoader = (r: RelayedRequest) =>
  String(r.headers['user-agent']).startsWith('runtime-loader/');

interface MirrorSetup {
  upstream?: RegistryOptions;
  credentials?: Credentials;
  mirrorRelay?: RelayOptions;
}

/**
 * The registry (behind relay `registry`) holding team/app:1.0 (oras) and team/image:1.0, and a
 * pull-through cache of it (behind relay `mirror`); a folder for targets and auth files.
 */
async function mirrored(setup: MirrorSetup = {}) {
  await using stack = new AsyncDisposableStack();
  const upstream = stack.use(await startRegistry(setup.upstream));
  await pushArtifact(upstream, 'team/app', '1.0', oras, setup.credentials);
  await pushArtifact(upstream, 'team/image', '1.0', image, setup.credentials);
  const registry = stack.use(await startRelay(upstream.origin));
  const cache = stack.use(
    await startRegistry({
      proxy: {
        remoteUrl: registry.origin,
        ...(setup.credentials ? { credentials: setup.credentials } : {}),
      },
    }),
  );
  const mirror = stack.use(await startRelay(cache.origin, setup.mirrorRelay));
  const dir = stack.use(await makeTempDir('runtime-loader-oci-mirror-'));
  const owned = stack.move();
  let runs = 0;
  const pull = async (reference: string, env: Record<string, string> = {}) => {
    runs += 1;
    const target = join(dir.path, `run-${runs}`, 'app.jar');
    const result = await runLoader({
      timeoutMs: 60_000,
      env: {
        ...fastOciEnv,
        ARTIFACT_URL: reference,
        ARTIFACT_PATH: target,
        LOADER_REGISTRY_PLAIN_HTTP: `${registry.host},${mirror.host}`,
        LOADER_REGISTRY_MIRRORS: mirror.host,
        ...env,
      },
    });
    return { result, target };
  };
  return {
    upstream,
    registry,
    cache,
    mirror,
    dir,
    pull,
    [Symbol.asyncDispose]: () => owned.disposeAsync(),
  };
}

describe('oci:// mirrors (issue 21)', () => {
  it('mirror up: the tag at the registry, the blob from the mirror with ?ns=<registry>', async () => {
    await using m = await mirrored();
    const { result, target } = await m.pull(`oci://${m.registry.host}/team/app:1.0`);
    assert.equal(result.code, 0, describeRun(result));
    await assertPublished(target, jar);
    const atRegistry = m.registry.requests.filter(fromLoader);
    assert.deepEqual(
      atRegistry.map((r) => `${r.method} ${r.path}`),
      ['GET /v2/team/app/manifests/1.0'],
      'the registry is asked for the tag alone',
    );
    const atMirror = m.mirror.requests.filter(fromLoader);
    assert.deepEqual(
      atMirror.map((r) => `${r.method} ${r.path} ${r.status}`),
      // As containerd writes it: url.Values encodes the port's colon.
      [
        `GET /v2/team/app/blobs/${oras.blobs[1]?.digest}?ns=${encodeURIComponent(m.registry.host)} 200`,
      ],
    );
    assert.deepEqual(eventsNamed(result, 'mirror-dropped'), []);
  });

  it('pinned by digest: the manifest and the blob from the mirror; with the registry down, from the mirror alone', async () => {
    await using m = await mirrored();
    const pinned = `oci://${m.registry.host}/team/image@${image.digest}`;
    const warm = await m.pull(pinned);
    assert.equal(warm.result.code, 0, describeRun(warm.result));
    assert.deepEqual(
      m.registry.requests.filter(fromLoader).map((r) => r.path),
      [],
      'the registry is not asked for what is addressed by digest',
    );
    assert.equal(firstEventNamed(warm.result, 'resolve').source, m.mirror.host);
    // Once the cache has stored the layer (it logs so), it serves without its upstream.
    await m.cache.waitForLog(
      new RegExp(`Adding new scheduler entry for team/image@${image.layer.digest}`),
    );
    await m.registry.close();
    const alone = await m.pull(pinned);
    assert.equal(alone.result.code, 0, describeRun(alone.result));
    await assertPublished(alone.target, jar);
    assert.deepEqual(eventsNamed(alone.result, 'mirror-dropped'), []);
  });

  it('pinned by digest and signed, keys set: the signature from the mirror too, so the registry down fails nothing', async () => {
    await using m = await mirrored();
    const key = cosignKeyPair();
    const signed = signatureLayer(key, image.digest);
    const tag = signatureTag(image.digest);
    await pushArtifact(m.upstream, 'team/image', tag, signatureArtifact([signed]));
    const payload = sha256Digest(signed.payload);
    const pinned = `oci://${m.registry.host}/team/image@${image.digest}`;
    const env = { ARTIFACT_PUBLIC_KEY: key.publicKeyPem };
    const warm = await m.pull(pinned, env);
    assert.equal(warm.result.code, 0, describeRun(warm.result));
    assert.deepEqual(
      m.registry.requests.filter(fromLoader).map((r) => r.path),
      [],
      'the registry is not asked: the mirror passes the signature through',
    );
    const ns = `?ns=${encodeURIComponent(m.registry.host)}`;
    // The cache has no referrers API (404) and no referrers tag; the .sig tag it fetches upstream.
    assert.deepEqual(
      m.mirror.requests.filter(fromLoader).map((r) => `${r.method} ${r.path} ${r.status}`),
      [
        `GET /v2/team/image/manifests/${image.digest}${ns} 200`,
        `GET /v2/team/image/referrers/${image.digest}${ns} 404`,
        `GET /v2/team/image/manifests/${tag.slice(0, -'.sig'.length)}${ns} 404`,
        `GET /v2/team/image/manifests/${tag}${ns} 200`,
        `GET /v2/team/image/blobs/${payload}${ns} 200`,
        `GET /v2/team/image/blobs/${image.layer.digest}${ns} 200`,
      ],
    );
    // Once the cache has stored the payload and the layer (it logs so), it serves them alone;
    // it answers a tag from its own store when its upstream is down.
    for (const digest of [payload, image.layer.digest]) {
      await m.cache.waitForLog(new RegExp(`Adding new scheduler entry for team/image@${digest}`));
    }
    await m.registry.close();
    const alone = await m.pull(pinned, env);
    assert.equal(alone.result.code, 0, describeRun(alone.result));
    await assertPublished(alone.target, jar);
    assert.equal(finalEvent(alone.result).signedBy, key.id);
    assert.match(
      String(firstEventNamed(alone.result, 'signature').msg),
      new RegExp(`:${tag} on the mirror ${m.mirror.host}, signature 1 of 1`),
    );
    assert.deepEqual(eventsNamed(alone.result, 'mirror-dropped'), []);
  });

  it('pinned by digest, keys set, the registry down and no mirror holding the signature: exit 4, as before', async () => {
    await using m = await mirrored();
    const key = cosignKeyPair();
    const pinned = `oci://${m.registry.host}/team/image@${image.digest}`;
    const warm = await m.pull(pinned);
    assert.equal(warm.result.code, 0, describeRun(warm.result));
    await m.cache.waitForLog(
      new RegExp(`Adding new scheduler entry for team/image@${image.layer.digest}`),
    );
    await m.registry.close();
    const { result, target } = await m.pull(pinned, {
      ARTIFACT_PUBLIC_KEY: key.publicKeyPem,
      LOADER_MAX_ATTEMPTS: '2',
    });
    assert.equal(result.code, 4, describeRun(result));
    const failed = finalEvent(result);
    assert.equal(failed.errorCode, 'ECONNREFUSED');
    assert.match(String(failed.msg), new RegExp(`/v2/team/image/referrers/${image.digest} failed`));
    assert.deepEqual(eventsNamed(result, 'mirror-dropped'), [], 'the mirror only lacked it');
    await assertNothingPublished(target);
  });

  it('mirror down: dropped with a warning naming why, the registry serves', async () => {
    await using m = await mirrored();
    const down = `127.0.0.1:${await freePort()}`;
    const { result, target } = await m.pull(`oci://${m.registry.host}/team/image@${image.digest}`, {
      LOADER_REGISTRY_MIRRORS: `${down},${m.mirror.host}`,
      LOADER_REGISTRY_PLAIN_HTTP: `${m.registry.host},${m.mirror.host},${down}`,
    });
    assert.equal(result.code, 0, describeRun(result));
    await assertPublished(target, jar);
    const [dropped, ...more] = eventsNamed(result, 'mirror-dropped');
    assert.equal(dropped?.level, 'warn');
    assert.equal(dropped?.mirror, down);
    assert.equal(dropped?.errorCode, 'ECONNREFUSED');
    assert.equal(dropped?.next, m.mirror.host);
    assert.deepEqual(more, []);
    assert.deepEqual(eventsNamed(result, 'retry'), [], 'a mirror gets one try, not a retry');
    assert.equal(finalEvent(result).attempts, 1);
    assert.ok(
      m.mirror.requests.some((r) => r.path.includes('/manifests/')),
      'the next mirror served',
    );
  });

  it('a mirror that serves the manifest but fails the blob (503): dropped at once, the blob from the registry, no retry', async () => {
    await using m = await mirrored({
      mirrorRelay: { throttle: { match: /^GET \/v2\/team\/app\/blobs\//, times: 1, status: 503 } },
    });
    const { result, target } = await m.pull(`oci://${m.registry.host}/team/app@${oras.digest}`);
    assert.equal(result.code, 0, describeRun(result));
    await assertPublished(target, jar);
    assert.equal(
      firstEventNamed(result, 'resolve').source,
      m.mirror.host,
      'the manifest came from the mirror',
    );
    const [dropped] = eventsNamed(result, 'mirror-dropped');
    assert.equal(dropped?.status, 503);
    assert.deepEqual(
      eventsNamed(result, 'retry'),
      [],
      'the mirror had one try; the registry answered at once',
    );
    assert.equal(finalEvent(result).attempts, 1);
    assert.ok(
      m.registry.requests.some((r) => fromLoader(r) && r.blobDigest === oras.blobs[1]?.digest),
    );
  });

  it('a mirror that answers 404 (it mirrors another registry): dropped, the registry serves', async () => {
    await using m = await mirrored();
    await using empty = await startRegistry();
    await using emptyRelay = await startRelay(empty.origin);
    const { result, target } = await m.pull(`oci://${m.registry.host}/team/app@${oras.digest}`, {
      LOADER_REGISTRY_MIRRORS: emptyRelay.host,
      LOADER_REGISTRY_PLAIN_HTTP: `${m.registry.host},${emptyRelay.host}`,
    });
    assert.equal(result.code, 0, describeRun(result));
    await assertPublished(target, jar);
    const [dropped] = eventsNamed(result, 'mirror-dropped');
    assert.equal(dropped?.status, 404);
    assert.equal(dropped?.errorCode, 'MANIFEST_UNKNOWN');
    assert.equal(emptyRelay.requests.length, 1, 'asked once, then never again');
  });

  it('a mirror that sends wrong bytes: the digest refuses them, the mirror is dropped, the registry serves', async () => {
    for (const [repo, artifact, layer] of [
      ['team/app', oras, oras.blobs[1]],
      ['team/image', image, image.layer],
    ] as const) {
      await using m = await mirrored({ mirrorRelay: { corrupt: 'flip-one-byte-of-blob' } });
      const { result, target } = await m.pull(`oci://${m.registry.host}/${repo}:1.0`);
      assert.equal(result.code, 0, describeRun(result));
      await assertPublished(target, jar);
      const [dropped] = eventsNamed(result, 'mirror-dropped');
      assert.match(String(dropped?.reason), /checksum mismatch/);
      assert.equal(dropped?.errorCode, 'ERR_INTEGRITY');
      assert.equal(eventsNamed(result, 'restart').length, 1);
      assert.ok(m.mirror.blobGets().some((r) => r.flippedAt !== undefined));
      assert.ok(
        m.registry.requests.some((r) => fromLoader(r) && r.blobDigest === layer?.digest),
        `${artifact.mediaType}: the registry sent the blob`,
      );
    }
  });

  it('credentials go to the registry, never to a mirror that asks for some the auth file does not name', async () => {
    await using m = await mirrored({
      upstream: { auth: { kind: 'htpasswd', credentials: user } },
      credentials: user,
    });
    // A mirror that challenges (Basic): with no entry of its own in the auth file it gets none,
    // answers 401, and is dropped.
    await using guarded = await startRegistry({
      auth: { kind: 'htpasswd', credentials: { username: 'other', password: 'Other-Passw0rd' } },
    });
    await using guardedRelay = await startRelay(guarded.origin);
    const folder = join(m.dir.path, 'auth');
    await mkdir(folder);
    const file = join(folder, 'config.json');
    await writeFile(file, dockerConfig(m.registry.host, user));
    const { result, target } = await m.pull(`oci://${m.registry.host}/team/app@${oras.digest}`, {
      LOADER_REGISTRY_AUTH_FILE: file,
      LOADER_REGISTRY_MIRRORS: guardedRelay.host,
      LOADER_REGISTRY_PLAIN_HTTP: `${m.registry.host},${guardedRelay.host}`,
    });
    assert.equal(result.code, 0, describeRun(result));
    await assertPublished(target, jar);
    assertNoSecret(result, [user.password, basic(user).slice(6)]);
    assert.deepEqual(
      guardedRelay.requests.map((r) => [r.status, r.headers.authorization]),
      [[401, undefined]],
      'asked once, without credentials',
    );
    const [dropped] = eventsNamed(result, 'mirror-dropped');
    assert.equal(dropped?.errorCode, 'UNAUTHORIZED');
    assert.ok(
      m.registry.requests.filter(fromLoader).some((r) => r.headers.authorization === basic(user)),
    );
    await rm(folder, { recursive: true });
  });
});
