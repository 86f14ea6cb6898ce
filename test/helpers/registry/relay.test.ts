// Tests for the relay in front of a real registry: exact accounting, a flipped byte,
// 429 with Retry-After, and blob GETs redirected to a storage server.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { httpGet } from '../http-get.ts';
import { randomBytesBuffer } from '../tmp.ts';
import { pushArtifact } from './artifact.ts';
import { startBlobStorage } from './blob-storage.ts';
import { basic, type Credentials } from './client.ts';
import { orasArtifact } from './oras.ts';
import { type Registry, startRegistry } from './registry.ts';
import { type RelayOptions, startRelay } from './relay.ts';

const jar = randomBytesBuffer(40_001);
const shape = orasArtifact(jar);
const layerDigest = shape.blobs[1]?.digest ?? '';
const user: Credentials = { username: 'alice', password: 'correct horse' };

/** A registry holding `shape` as team/app:v1 and a relay in front of it. */
async function relayedRegistry(options: RelayOptions = {}, credentials?: Credentials) {
  const registry: Registry = await startRegistry(
    credentials ? { auth: { kind: 'htpasswd', credentials } } : {},
  );
  try {
    await pushArtifact(registry, 'team/app', 'v1', shape, credentials);
  } catch (error) {
    await registry.stop();
    throw error;
  }
  const relay = await startRelay(registry.origin, options);
  return {
    relay,
    blobUrl: `${relay.origin}/v2/team/app/blobs/${layerDigest}`,
    manifestUrl: `${relay.origin}/v2/team/app/manifests/v1`,
    [Symbol.asyncDispose]: async () => {
      await relay.close();
      await registry.stop();
    },
  };
}

describe('startRelay', () => {
  test('forwards pushes and pulls with Host kept, and records headers, status and body bytes', async () => {
    await using registry = await startRegistry();
    await using relay = await startRelay(registry.origin);
    // The registry's absolute upload Location must name the relay for this push to pass through it.
    await pushArtifact(relay, 'team/app', 'v1', shape);
    assert.ok(relay.requests.some((r) => r.method === 'PUT' && r.path.includes('digest=')));
    assert.equal(
      relay.requests.filter((r) => r.method === 'PUT').length,
      3,
      'two blobs, one manifest',
    );

    const blob = await httpGet(`${relay.origin}/v2/team/app/blobs/${layerDigest}`, {
      headers: { 'user-agent': 'probe/1', authorization: 'Bearer not-checked' },
    });
    assert.deepEqual(blob.body, jar);
    const [get] = await relay.waitFor((r) => r.blobDigest === layerDigest && r.method === 'GET');
    assert.equal(get?.status, 200);
    assert.equal(get?.bytesSent, jar.length);
    assert.equal(get?.headers['user-agent'], 'probe/1');
    assert.equal(get?.headers.authorization, 'Bearer not-checked');
    assert.equal(get?.flippedAt, undefined);
    assert.deepEqual(relay.blobGets(), [get]);
  });

  test('corrupt: flips the middle byte of a blob body, a ranged one too, and leaves manifests alone', async () => {
    await using setup = await relayedRegistry({
      corrupt: 'flip-one-byte-of-blob',
      corruptTimes: 2,
    });
    const manifest = await httpGet(setup.manifestUrl, { headers: { accept: shape.mediaType } });
    assert.deepEqual(manifest.body, shape.manifest);

    const whole = await httpGet(setup.blobUrl);
    const middle = Math.floor(jar.length / 2);
    assert.equal(whole.body.length, jar.length);
    assert.deepEqual(differingOffsets(whole.body, jar), [middle]);
    const ranged = await httpGet(setup.blobUrl, { headers: { range: 'bytes=1000-' } });
    assert.equal(ranged.status, 206);
    const expected = jar.subarray(1000);
    assert.deepEqual(differingOffsets(ranged.body, expected), [Math.floor(expected.length / 2)]);
    assert.deepEqual(
      setup.relay.blobGets().map((r) => r.flippedAt),
      [middle, Math.floor(expected.length / 2)],
    );
    assert.deepEqual((await httpGet(setup.blobUrl)).body, jar, 'only corruptTimes bodies');
  });

  test('throttle: the first N matching requests get 429 with Retry-After, later ones pass', async () => {
    await using setup = await relayedRegistry({
      throttle: { match: /^GET \/v2\/[^ ]+\/blobs\//, times: 2, retryAfter: '3' },
    });
    const manifest = await httpGet(setup.manifestUrl, { headers: { accept: shape.mediaType } });
    assert.equal(manifest.status, 200, 'not matching: passed');
    for (let i = 0; i < 2; i++) {
      const refused = await httpGet(setup.blobUrl);
      assert.equal(refused.status, 429);
      assert.equal(refused.headers['retry-after'], '3');
    }
    assert.deepEqual((await httpGet(setup.blobUrl)).body, jar);
    assert.deepEqual(
      setup.relay.requests.map((r) => [r.action, r.status]),
      [
        ['forwarded', 200],
        ['throttled', 429],
        ['throttled', 429],
        ['forwarded', 200],
      ],
    );
  });

  test('redirectBlobs: an authorized blob GET gets a 307 to storage, which records and refuses Authorization', async () => {
    await using storage = await startBlobStorage();
    await using setup = await relayedRegistry({ redirectBlobs: { storage } }, user);
    assert.equal((await httpGet(setup.blobUrl)).status, 401, 'the registry still checks auth');
    assert.equal(storage.paths.length, 0);

    const redirected = await httpGet(setup.blobUrl, { headers: { authorization: basic(user) } });
    assert.equal(redirected.status, 307);
    const location = redirected.headers.location ?? '';
    assert.ok(location.startsWith(`${storage.origin}/blobs/sha256/`));
    assert.equal(setup.relay.requests.at(-1)?.action, 'redirected');

    const followed = await httpGet(location);
    assert.equal(followed.status, 200);
    assert.deepEqual(followed.body, jar);
    const ranged = await httpGet(location, { headers: { range: 'bytes=10-19' } });
    assert.equal(ranged.status, 206);
    assert.deepEqual(ranged.body, jar.subarray(10, 20));
    const leaked = await httpGet(location, { headers: { authorization: basic(user) } });
    assert.equal(leaked.status, 400, 'like S3: a pre-signed URL and Authorization together');
    assert.deepEqual(
      storage.headers.map((headers) => headers.authorization),
      [undefined, undefined, basic(user)],
    );
  });
});

function differingOffsets(actual: Buffer, expected: Buffer): number[] {
  const offsets: number[] = [];
  for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) offsets.push(i);
  return offsets;
}
