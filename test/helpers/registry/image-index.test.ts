// Tests for multi-platform images: an OCI index and a Docker manifest list pushed to a real
// registry with their platform manifests, each entry resolvable by digest.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { httpGet } from '../http-get.ts';
import { pushArtifact } from './artifact.ts';
import { imageArtifact } from './image.ts';
import { amd64, arm64, dockerListType, imageIndex, ociIndexType } from './image-index.ts';
import { orasArtifact } from './oras.ts';
import { startRegistry } from './registry.ts';

const amd64Jar = Buffer.from('amd64 jar');
const arm64Jar = Buffer.from('arm64 jar');

describe('imageIndex', () => {
  for (const format of ['oci', 'docker'] as const) {
    test(`${format}: the registry takes the index after its manifests and serves each entry by digest`, async () => {
      const forAmd64 = imageArtifact(amd64Jar, { format, platform: amd64 });
      const forArm64 = imageArtifact(arm64Jar, { format, platform: arm64 });
      // An OCI index may hold an entry without platform (here an oras artifact); Docker lists may not.
      const extra = format === 'oci' ? [{ manifest: orasArtifact(Buffer.from('notes')) }] : [];
      const index = imageIndex(
        [
          { manifest: forAmd64, platform: amd64 },
          { manifest: forArm64, platform: arm64 },
          ...extra,
        ],
        format,
      );
      await using registry = await startRegistry();
      assert.equal(await pushArtifact(registry, 'team/multi', 'v1', index), index.digest);
      const repo = `${registry.origin}/v2/team/multi`;

      const served = await httpGet(`${repo}/manifests/v1`, {
        headers: { accept: index.mediaType },
      });
      assert.equal(
        served.headers['content-type'],
        format === 'oci' ? ociIndexType : dockerListType,
      );
      assert.deepEqual(served.body, index.manifest);
      const entries = JSON.parse(served.body.toString()).manifests;
      assert.deepEqual(
        entries.map((entry: { platform?: object }) => entry.platform),
        [amd64, arm64, ...extra.map(() => undefined)],
      );
      for (const [i, entry] of entries.entries()) {
        assert.deepEqual(
          Object.keys(entry).slice(0, 3),
          format === 'oci' ? ['mediaType', 'digest', 'size'] : ['mediaType', 'size', 'digest'],
        );
        const child = await httpGet(`${repo}/manifests/${entry.digest}`, {
          headers: { accept: entry.mediaType },
        });
        assert.equal(child.status, 200);
        assert.deepEqual(child.body, index.children[i]?.manifest);
      }
    });
  }

  test('a Docker list entry without platform is written with an empty one, as the Go struct has no omitempty', () => {
    const list = imageIndex(
      [{ manifest: imageArtifact(amd64Jar, { format: 'docker' }) }],
      'docker',
    );
    assert.deepEqual(JSON.parse(list.manifest.toString()).manifests[0].platform, {
      architecture: '',
      os: '',
    });
  });
});
