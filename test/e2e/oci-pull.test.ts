// End-to-end tests of issue 21 against a real registry (Debian's docker-registry, Distribution
// 2.8), anonymously: the built loader pulls a JAR pushed as oras pushes it, and one inside an
// image layer as docker, buildah or podman push it, by tag and by digest; an index; the size
// checked before the blob; a flipped byte; unknown names; 429; a resume; HTTPS by default.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildJar } from '../../scripts/jar.ts';
import { recordPathFor } from '../../src/artifact/verification-record.ts';
import { startCuttingRelay } from '../helpers/cutting-relay.ts';
import { describeRun, eventsNamed, finalEvent, firstEventNamed } from '../helpers/events.ts';
import { serve } from '../helpers/loopback-server.ts';
import { fastOciEnv, type OciScenario, ociScenario } from '../helpers/oci-scenario.ts';
import { assertNothingPublished, assertPublished } from '../helpers/published.ts';
import { type Artifact, pushArtifact } from '../helpers/registry/artifact.ts';
import { imageArtifact } from '../helpers/registry/image.ts';
import { amd64, arm64, imageIndex } from '../helpers/registry/image-index.ts';
import { orasArtifact } from '../helpers/registry/oras.ts';
import { startRegistry } from '../helpers/registry/registry.ts';
import type { RelayedRequest } from '../helpers/registry/relay.ts';
import { runLoader } from '../helpers/run-loader.ts';
import { makeTestPki } from '../helpers/tls.ts';
import { makeTempDir, randomBytesBuffer, sha256Hex } from '../helpers/tmp.ts';

const jar = await buildJar();
const otherJar = await buildJar({ extra: { 'other.txt': Buffer.from('other') } });
const oras = orasArtifact(jar);
const ociImage = imageArtifact(jar);
const dockerImage = imageArtifact(jar, { format: 'docker' });
const plainImage = imageArtifact(jar, { compression: 'none' });
const deepImage = imageArtifact(otherJar, {
  entries: [
    { name: 'opt/', type: 'directory' },
    { name: 'opt/service/', type: 'directory' },
    { name: 'opt/service/service.jar', data: otherJar },
  ],
});
const attestation = imageArtifact(Buffer.from('{}'), {
  platform: { architecture: 'unknown', os: 'unknown' },
});
const index = imageIndex([
  { manifest: imageArtifact(jar, { platform: amd64 }), platform: amd64 },
  { manifest: imageArtifact(otherJar, { platform: arm64 }), platform: arm64 },
  {
    manifest: attestation,
    platform: { architecture: 'unknown', os: 'unknown' },
    annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
  },
]);
const ambiguous = imageIndex([{ manifest: oras }, { manifest: orasArtifact(otherJar) }]);
const machineArch = process.arch === 'x64' ? 'amd64' : process.arch;
const jarOfMachine = machineArch === 'arm64' ? otherJar : jar;

const artifacts: Record<string, Artifact> = {
  'team/app:1.0': oras,
  'team/image:1.0': ociImage,
  'team/docker:1.0': dockerImage,
  'team/plain:1.0': plainImage,
  'team/deep:1.0': deepImage,
  'team/multi:1.0': index,
  'team/ambiguous:1.0': ambiguous,
};

const blobGets = (requests: readonly RelayedRequest[]) =>
  requests.filter((r) => r.method === 'GET' && r.blobDigest !== undefined);

let s: OciScenario;
before(async () => {
  s = await ociScenario({ artifacts });
});
after(async () => {
  await s[Symbol.asyncDispose]();
});

/** Runs the loader on `reference` into a fresh target; the relay's requests of this run alone. */
async function pull(reference: string, env: Record<string, string> = {}) {
  const from = s.relay.requests.length;
  // An empty reference leaves ARTIFACT_URL empty, which counts as unset.
  const run = await s.run(reference, env);
  const target = s.target;
  return { run, target, requests: () => s.relay.requests.slice(from) };
}

async function cleanTarget(): Promise<void> {
  const { rm } = await import('node:fs/promises');
  await rm(join(s.dir.path, 'out'), { recursive: true, force: true });
}

describe('oci:// pulls from a real registry, anonymously (issue 21)', () => {
  it('a JAR pushed as oras pushes it, by tag: the manifest asked with every type, the one blob, the record', async () => {
    await cleanTarget();
    const { run, target, requests } = await pull(s.reference('team/app:1.0'));
    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(target, jar);
    const [manifest, ...rest] = requests();
    assert.equal(manifest?.path, '/v2/team/app/manifests/1.0');
    assert.match(
      String(manifest?.headers.accept),
      /application\/vnd\.oci\.image\.manifest\.v1\+json.*application\/vnd\.docker\.distribution\.manifest\.v2\+json.*application\/vnd\.oci\.image\.index\.v1\+json.*application\/vnd\.docker\.distribution\.manifest\.list\.v2\+json/,
    );
    const layer = oras.blobs[1];
    assert.deepEqual(
      rest.map((r) => `${r.method} ${r.path}`),
      [`GET /v2/team/app/blobs/${layer?.digest}`],
    );
    const start = firstEventNamed(run, 'start');
    assert.equal(start.reference, s.reference('team/app:1.0'));
    assert.equal(start.url, undefined);
    const resolve = firstEventNamed(run, 'resolve');
    assert.equal(resolve.shape, 'file');
    assert.equal(resolve.manifestDigest, oras.digest);
    assert.equal(resolve.blobDigest, layer?.digest);
    const done = finalEvent(run);
    assert.equal(done.reference, s.reference('team/app:1.0'));
    assert.equal(done.manifestDigest, oras.digest);
    const record = JSON.parse(await readFile(recordPathFor(target), 'utf8'));
    assert.equal(record.url, `oci://${s.relay.host}/team/app`);
    assert.equal(record.reference, s.reference('team/app:1.0'));
    assert.equal(record.manifestDigest, oras.digest);
    assert.equal(record.blobDigest, layer?.digest);
    assert.equal(record.file, '/app.jar');
    assert.equal(record.sha256, sha256Hex(jar));
  });

  it('the same by digest, without ARTIFACT_EXPECTED_SIZE: the manifest asked by its digest', async () => {
    await cleanTarget();
    const reference = `oci://${s.relay.host}/team/app@${oras.digest}`;
    const { run, target, requests } = await pull(reference);
    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(target, jar);
    assert.equal(requests()[0]?.path, `/v2/team/app/manifests/${oras.digest}`);
  });

  for (const [name, repo, image] of [
    ['an OCI image, gzip layer', 'team/image', ociImage],
    ['a Docker schema 2 image', 'team/docker', dockerImage],
    ['an OCI image, uncompressed layer', 'team/plain', plainImage],
  ] as const) {
    it(`${name} (FROM scratch + COPY app.jar /app.jar): /app.jar extracted while the layer streams`, async () => {
      await cleanTarget();
      const { run, target, requests } = await pull(s.reference(`${repo}:1.0`), {
        ARTIFACT_EXPECTED_SIZE: String(jar.length),
      });
      assert.equal(run.code, 0, describeRun(run));
      await assertPublished(target, jar);
      assert.deepEqual(
        blobGets(requests()).map((r) => r.blobDigest),
        [image.layer.digest],
        'the layer alone: never the config',
      );
      const resolve = firstEventNamed(run, 'resolve');
      assert.equal(resolve.shape, 'image');
      assert.equal(resolve.file, '/app.jar');
      const done = finalEvent(run);
      assert.equal(done.sha256, sha256Hex(jar));
      const record = JSON.parse(await readFile(recordPathFor(target), 'utf8'));
      assert.equal(record.blobDigest, image.layer.digest);
    });
  }

  it('an image by digest, and LOADER_OCI_FILE naming a file deeper in it', async () => {
    await cleanTarget();
    const reference = `oci://${s.relay.host}/team/deep@${deepImage.digest}`;
    const { run, target } = await pull(reference, { LOADER_OCI_FILE: '/opt/service/service.jar' });
    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(target, otherJar);
    await cleanTarget();
    const missing = await pull(reference);
    assert.equal(missing.run.code, 2, describeRun(missing.run));
    assert.match(String(finalEvent(missing.run).msg), /the image has no \/app\.jar in its 1 layer/);
    await assertNothingPublished(target);
  });

  it(`an index: the entry for linux/${machineArch}, attestations left out; an ambiguous one is refused`, async () => {
    await cleanTarget();
    const { run, target, requests } = await pull(s.reference('team/multi:1.0'));
    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(target, jarOfMachine);
    const manifests = requests().filter((r) => r.path.includes('/manifests/'));
    assert.equal(manifests.length, 2, 'the index, then the entry');
    const resolve = firstEventNamed(run, 'resolve');
    assert.equal(resolve.manifestDigest, index.digest);
    assert.notEqual(resolve.imageManifestDigest, undefined);

    await cleanTarget();
    const refused = await pull(s.reference('team/ambiguous:1.0'));
    assert.equal(refused.run.code, 2, describeRun(refused.run));
    assert.match(String(finalEvent(refused.run).msg), /2 entries this .* machine could run.*pin/);
    assert.deepEqual(blobGets(refused.requests()), []);
  });

  it('ARTIFACT_EXPECTED_SIZE that is not the descriptor size: exit 5 before the blob is asked for', async () => {
    await cleanTarget();
    const { run, target, requests } = await pull(s.reference('team/app:1.0'), {
      ARTIFACT_EXPECTED_SIZE: String(jar.length + 1),
    });
    assert.equal(run.code, 5, describeRun(run));
    assert.match(
      String(finalEvent(run).msg),
      /lists the JAR as \d+ bytes, ARTIFACT_EXPECTED_SIZE is/,
    );
    assert.deepEqual(blobGets(requests()), [], 'no blob request');
    await assertNothingPublished(target);
  });

  it("an image whose /app.jar is not ARTIFACT_EXPECTED_SIZE: exit 5 from the layer's entry, nothing published", async () => {
    await cleanTarget();
    const { run, target } = await pull(s.reference('team/image:1.0'), {
      ARTIFACT_EXPECTED_SIZE: String(jar.length - 1),
    });
    assert.equal(run.code, 5, describeRun(run));
    assert.match(
      String(finalEvent(run).msg),
      /\/app\.jar in the layer is \d+ bytes, ARTIFACT_EXPECTED_SIZE/,
    );
    await assertNothingPublished(target);
  });

  it('ARTIFACT_SHA256 is checked against the JAR itself: right passes, wrong is exit 6', async () => {
    await cleanTarget();
    const right = await pull(s.reference('team/image:1.0'), { ARTIFACT_SHA256: sha256Hex(jar) });
    assert.equal(right.run.code, 0, describeRun(right.run));
    await cleanTarget();
    const wrong = await pull(s.reference('team/app:1.0'), { ARTIFACT_SHA256: 'ab'.repeat(32) });
    assert.equal(wrong.run.code, 6, describeRun(wrong.run));
    assert.equal(finalEvent(wrong.run).actualSha256, sha256Hex(jar));
    await assertNothingPublished(wrong.target);
  });

  it("an unknown tag or repository: exit 3 with the registry's error code", async () => {
    // Distribution 2.8 says MANIFEST_UNKNOWN for a manifest of an unknown repository too (other
    // registries say NAME_UNKNOWN); the loader passes on whichever code the registry gives.
    for (const [repoTag, code] of [
      ['team/app:nope', 'MANIFEST_UNKNOWN'],
      ['team/nothing:1.0', 'MANIFEST_UNKNOWN'],
    ] as const) {
      await cleanTarget();
      const { run, target } = await pull(s.reference(repoTag));
      assert.equal(run.code, 3, describeRun(run));
      const failed = finalEvent(run);
      assert.equal(failed.errorCode, code);
      assert.equal(failed.status, 404);
      assert.doesNotMatch(String(failed.msg), /signed URL|expired/);
      await assertNothingPublished(target);
      const termination = await readFile(s.terminationLog, 'utf8');
      assert.match(
        termination,
        /^exit 3 ERR_REJECTED: the registry refused the manifest oci:\/\/\S+ at http:\/\/\S+ with 404 Not Found \(MANIFEST_UNKNOWN: manifest unknown\)/,
      );
    }
  });

  it('the reference also comes through --url and ARTIFACT_URL_FILE', async () => {
    const file = join(s.dir.path, 'reference');
    await writeFile(file, `${s.reference('team/app:1.0')}\n`);
    await cleanTarget();
    const fromFile = await pull('', { ARTIFACT_URL_FILE: file });
    assert.equal(fromFile.run.code, 0, describeRun(fromFile.run));
    await assertPublished(fromFile.target, jar);
    await cleanTarget();
    const fromFlag = await s.run('', {}, { args: ['--url', s.reference('team/image:1.0')] });
    assert.equal(fromFlag.code, 0, describeRun(fromFlag));
    await assertPublished(s.target, jar);
  });

  it('HTTPS is the default: a registry with a private CA is trusted through NODE_EXTRA_CA_CERTS, refused without', async () => {
    await using pki = await makeTestPki();
    await using registry = await startRegistry({ tls: pki });
    await pushArtifact(registry, 'team/app', '1.0', oras);
    await using dir = await makeTempDir('runtime-loader-oci-tls-');
    const caFile = join(dir.path, 'ca.pem');
    await writeFile(caFile, pki.caCert);
    const env = {
      ...fastOciEnv,
      ARTIFACT_URL: `oci://${registry.host}/team/app:1.0`,
      ARTIFACT_PATH: join(dir.path, 'out', 'app.jar'),
      LOADER_MAX_ATTEMPTS: '1',
    };
    const trusted = await runLoader({ env: { ...env, NODE_EXTRA_CA_CERTS: caFile } });
    assert.equal(trusted.code, 0, describeRun(trusted));
    await assertPublished(env.ARTIFACT_PATH, jar);
    const untrusted = await runLoader({
      env: { ...env, ARTIFACT_PATH: join(dir.path, 'other', 'app.jar') },
    });
    assert.equal(untrusted.code, 4, describeRun(untrusted));
    assert.match(String(finalEvent(untrusted).msg), /NODE_EXTRA_CA_CERTS/);
  });
});

describe('oci:// faults on the way (issue 21)', () => {
  it('a flipped byte in the blob: exit 6, nothing published, for the JAR and for an image layer', async () => {
    for (const repo of ['team/app', 'team/image']) {
      await using corrupt = await ociScenario({
        artifacts: { [`${repo}:1.0`]: repo === 'team/app' ? oras : ociImage },
        relay: { corrupt: 'flip-one-byte-of-blob' },
      });
      const run = await corrupt.run(corrupt.reference(`${repo}:1.0`));
      assert.equal(run.code, 6, describeRun(run));
      const failed = finalEvent(run);
      assert.match(
        String(failed.msg),
        /checksum mismatch: the blob sha256:\S+ as received hashes to/,
      );
      assert.equal(
        failed.expectedDigest,
        (repo === 'team/app' ? oras.blobs[1] : ociImage.layer)?.digest,
      );
      assert.notEqual(failed.actualDigest, failed.expectedDigest);
      assert.equal(corrupt.relay.blobGets().at(-1)?.flippedAt !== undefined, true);
      await assertNothingPublished(corrupt.target);
    }
  });

  it('429 with Retry-After on the manifest and the blob: waited for, not counted against LOADER_MAX_ATTEMPTS', async () => {
    await using throttled = await ociScenario({
      artifacts: { 'team/app:1.0': oras },
      relay: { throttle: { match: /^GET \/v2\/team\/app\//, times: 2, retryAfter: '1' } },
    });
    const run = await throttled.run(throttled.reference('team/app:1.0'), {
      LOADER_MAX_ATTEMPTS: '1',
    });
    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(throttled.target, jar);
    const retries = eventsNamed(run, 'retry');
    assert.equal(retries.length, 2);
    for (const retry of retries) {
      assert.equal(retry.paced, true);
      assert.equal(retry.status, 429);
      assert.ok(Number(retry.delayMs) >= 1000, `waited ${retry.delayMs} ms`);
    }
    assert.equal(finalEvent(run).attempts, 3);
  });

  it('a registry that never answers: each attempt ends at the stall timeout, the deadline ends the run (exit 4)', async () => {
    await using silent = await serve(() => {});
    const host = new URL(silent.origin).host;
    await using dir = await makeTempDir('runtime-loader-oci-silent-');
    const run = await runLoader({
      env: {
        ...fastOciEnv,
        ARTIFACT_URL: `oci://${host}/team/app:1.0`,
        ARTIFACT_PATH: join(dir.path, 'out', 'app.jar'),
        LOADER_REGISTRY_PLAIN_HTTP: host,
        // Two attempts stall in full (1 s each, backoffs of at most 0.1 s), the third is
        // under way when the deadline comes: had one ended just before it, the loop would
        // give up at once with the stall as the reason (exit 4 too, but not the deadline).
        LOADER_STALL_TIMEOUT_SECONDS: '1',
        LOADER_DEADLINE_SECONDS: '2.9',
        LOADER_MAX_ATTEMPTS: '100',
      },
    });
    assert.equal(run.code, 4, describeRun(run));
    const failed = finalEvent(run);
    assert.equal(failed.code, 'ERR_DEADLINE');
    assert.match(String(failed.lastFailure), /no response headers within the stall timeout/);
    assert.ok(eventsNamed(run, 'retry').length >= 2);
    await assertNothingPublished(join(dir.path, 'out', 'app.jar'));
  });

  it('a blob cut off mid-body: resumed with Range and If-Range on the digest ETag', async () => {
    const big = randomBytesBuffer(3 * 1024 * 1024);
    const artifact = orasArtifact(big);
    await using registry = await startRegistry();
    await pushArtifact(registry, 'team/big', '1.0', artifact);
    // The first connection carries the manifest, then the blob: cut 1 MiB into it.
    await using cutting = await startCuttingRelay(registry.origin, [1024 * 1024]);
    const host = new URL(cutting.origin).host;
    await using dir = await makeTempDir('runtime-loader-oci-cut-');
    const target = join(dir.path, 'out', 'app.jar');
    const run = await runLoader({
      env: {
        ...fastOciEnv,
        ARTIFACT_URL: `oci://${host}/team/big:1.0`,
        ARTIFACT_PATH: target,
        LOADER_REGISTRY_PLAIN_HTTP: host,
        LOADER_VERIFY_JAR: 'false',
      },
    });
    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(target, big);
    const resume = firstEventNamed(run, 'resume');
    assert.ok(Number(resume.offsetBytes) > 0);
    assert.ok(Number(finalEvent(run).resumedBytes) > 0);
    assert.equal(eventsNamed(run, 'restart').length, 0, 'kept bytes were not thrown away');
  });
});
