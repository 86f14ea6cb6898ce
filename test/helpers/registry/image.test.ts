// Tests for the FROM scratch + COPY image: pushed to a real registry in each form, pulled back,
// the layer unpacked by GNU tar and its diff_id checked against the config.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { httpGet } from '../http-get.ts';
import { makeTempDir, randomBytesBuffer } from '../tmp.ts';
import { pushArtifact } from './artifact.ts';
import { imageArtifact } from './image.ts';
import { arm64 } from './image-index.ts';
import { sha256Digest } from './push.ts';
import { startRegistry } from './registry.ts';

const run = promisify(execFile);
const jar = randomBytesBuffer(30_000);

const forms = [
  { format: 'oci', compression: 'gzip', layerType: 'application/vnd.oci.image.layer.v1.tar+gzip' },
  { format: 'oci', compression: 'none', layerType: 'application/vnd.oci.image.layer.v1.tar' },
  {
    format: 'docker',
    compression: 'gzip',
    layerType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
  {
    format: 'docker',
    compression: 'none',
    layerType: 'application/vnd.docker.image.rootfs.diff.tar',
  },
] as const;

describe('imageArtifact', () => {
  for (const { format, compression, layerType } of forms) {
    test(`${format}, ${compression}: the registry serves it back; the layer holds app.jar; diff_id is the tar's digest`, async () => {
      const image = imageArtifact(jar, { format, compression, platform: arm64 });
      await using registry = await startRegistry();
      assert.equal(await pushArtifact(registry, 'team/image', 'v1', image), image.digest);
      const repo = `${registry.origin}/v2/team/image`;

      const manifest = await httpGet(`${repo}/manifests/v1`, {
        headers: { accept: image.mediaType },
      });
      assert.deepEqual(manifest.body, image.manifest);
      assert.equal(manifest.headers['content-type'], image.mediaType);
      const parsed = JSON.parse(manifest.body.toString());
      assert.equal(parsed.layers.length, 1);
      assert.equal(parsed.layers[0].mediaType, layerType);

      const config = JSON.parse(
        (await httpGet(`${repo}/blobs/${parsed.config.digest}`)).body.toString(),
      );
      assert.equal(config.architecture, 'arm64');
      assert.equal(config.variant, 'v8');
      assert.equal(config.os, 'linux');
      const layer = (await httpGet(`${repo}/blobs/${parsed.layers[0].digest}`)).body;
      const tar = compression === 'gzip' ? gunzipSync(layer) : layer;
      assert.deepEqual(config.rootfs, { type: 'layers', diff_ids: [sha256Digest(tar)] });

      await using temp = await makeTempDir('registry-image-');
      await writeFile(join(temp.path, 'layer.tar'), tar);
      const { stdout } = await run('tar', [
        '--numeric-owner',
        '-tvf',
        join(temp.path, 'layer.tar'),
      ]);
      assert.match(stdout, /^-rw-r--r-- 0\/0 +30000 .* app\.jar\n$/);
      await run('tar', ['-C', temp.path, '-xf', join(temp.path, 'layer.tar')]);
      assert.deepEqual(await readFile(join(temp.path, 'app.jar')), jar);
    });
  }

  test('OCI manifests are compact with descriptors mediaType, digest, size; Docker ones indented by three spaces, mediaType, size, digest', () => {
    const oci = imageArtifact(jar).manifest.toString();
    assert.match(
      oci,
      /^\{"schemaVersion":2,"mediaType":"application\/vnd\.oci\.image\.manifest\.v1\+json","config":\{"mediaType":"application\/vnd\.oci\.image\.config\.v1\+json","digest":"sha256:[0-9a-f]{64}","size":\d+\},"layers":\[/,
    );
    const docker = imageArtifact(jar, { format: 'docker' }).manifest.toString();
    assert.match(
      docker,
      /^\{\n {3}"schemaVersion": 2,\n {3}"mediaType": "application\/vnd\.docker\.distribution\.manifest\.v2\+json",\n {3}"config": \{\n {6}"mediaType": "application\/vnd\.docker\.container\.image\.v1\+json",\n {6}"size": \d+,\n {6}"digest": "sha256:[0-9a-f]{64}"\n {3}\},/,
    );
  });

  test('the layer entries can be set: ./app.jar with the file-type bits in the mode, as older buildah wrote', () => {
    const image = imageArtifact(jar, {
      compression: 'none',
      entries: [{ name: './app.jar', data: jar, mode: 0o100644, uname: 'root', gname: 'root' }],
    });
    assert.equal(image.tar.subarray(0, 9).toString(), './app.jar');
    assert.equal(image.tar.subarray(100, 107).toString(), '0100644');
    assert.equal(image.diffId, sha256Digest(image.tar));
    assert.deepEqual(image.layer.bytes, image.tar);
  });
});
