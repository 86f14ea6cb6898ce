// Tests for the oras-shaped artifact: its exact bytes, and a real registry taking and serving it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpGet } from '../http-get.ts';
import { pushArtifact } from './artifact.ts';
import { orasArtifact } from './oras.ts';
import { sha256Digest } from './push.ts';
import { startRegistry } from './registry.ts';

const jar = Buffer.from('PK\u0003\u0004 a small jar');
const created = new Date('2025-03-04T05:06:07.890Z');
// The digest of `{}`, the empty descriptor every oras 1.1+ artifact shares (image-spec manifest.md).
const emptyDigest = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

test('oras push app.jar:application/java-archive: an image-spec v1.1 manifest, byte for byte', () => {
  const made = orasArtifact(jar, { created });
  const expected =
    '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",' +
    '"artifactType":"application/vnd.unknown.artifact.v1",' +
    `"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"${emptyDigest}","size":2,"data":"e30="},` +
    `"layers":[{"mediaType":"application/java-archive","digest":"${sha256Digest(jar)}","size":${jar.length},` +
    '"annotations":{"org.opencontainers.image.title":"app.jar"}}],' +
    '"annotations":{"org.opencontainers.image.created":"2025-03-04T05:06:07Z"}}';
  assert.equal(made.manifest.toString(), expected);
  assert.equal(made.digest, sha256Digest(expected));
  assert.deepEqual(
    made.blobs.map((each) => [each.mediaType, each.digest, each.bytes.toString('latin1')]),
    [
      ['application/vnd.oci.empty.v1+json', emptyDigest, '{}'],
      ['application/java-archive', sha256Digest(jar), jar.toString('latin1')],
    ],
  );
});

test('--image-spec v1.0: no artifactType, the config typed as the artifact type, without data', () => {
  const plain = JSON.parse(orasArtifact(jar, { imageSpec: 'v1.0', created }).manifest.toString());
  assert.equal(plain.artifactType, undefined);
  assert.deepEqual(plain.config, {
    mediaType: 'application/vnd.unknown.config.v1+json',
    digest: emptyDigest,
    size: 2,
  });
  const typed = orasArtifact(jar, { imageSpec: 'v1.0', artifactType: 'application/vnd.acme.app' });
  assert.equal(JSON.parse(typed.manifest.toString()).config.mediaType, 'application/vnd.acme.app');
});

test('a real registry takes it and serves back the same manifest, config and layer', async () => {
  const made = orasArtifact(jar, {
    fileName: 'service.jar',
    moreFiles: [{ fileName: 'README.md', mediaType: 'text/markdown', bytes: Buffer.from('# hi') }],
  });
  await using registry = await startRegistry();
  assert.equal(await pushArtifact(registry, 'team/app', '1.0.0', made), made.digest);
  const manifest = await httpGet(`${registry.origin}/v2/team/app/manifests/1.0.0`, {
    headers: { accept: made.mediaType },
  });
  assert.deepEqual(manifest.body, made.manifest);
  const parsed = JSON.parse(manifest.body.toString());
  assert.deepEqual(
    parsed.layers.map((layer: { annotations: Record<string, string> }) => layer.annotations),
    [
      { 'org.opencontainers.image.title': 'service.jar' },
      { 'org.opencontainers.image.title': 'README.md' },
    ],
  );
  assert.match(
    parsed.annotations['org.opencontainers.image.created'],
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
  );
  for (const each of made.blobs) {
    const blob = await httpGet(`${registry.origin}/v2/team/app/blobs/${each.digest}`);
    assert.deepEqual(blob.body, each.bytes);
  }
});
