import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, SizeMismatchError } from '../../src/errors.ts';
import { sha256DigestOf } from '../../src/oci/digest.ts';
import { type ArtifactTarget, planFetch } from '../../src/resolve/fetch-plan.ts';
import { type ImageManifest, parseManifest } from '../../src/resolve/manifest.ts';
import {
  type DescriptorJson,
  descriptor,
  digestOf,
  imageManifest,
  json,
  mediaType,
  orasManifest,
} from '../helpers/oci-documents.ts';

const what = 'the manifest of oci://r.example/app:1';
const pathSetting = 'LOADER_OCI_FILE';
const appJar: ArtifactTarget = { path: 'app.jar', pathSetting, expectedSizeBytes: undefined };

function parsed(document: unknown): ImageManifest {
  const manifest = parseManifest(json(document), { what });
  assert.ok(manifest.kind === 'image');
  return manifest;
}

const file = (
  seed: string,
  size: number,
  title?: string,
  type: string = mediaType.jar,
): DescriptorJson =>
  descriptor(
    type,
    seed,
    size,
    title === undefined ? {} : { annotations: { 'org.opencontainers.image.title': title } },
  );

describe('planFetch, shape (a): a file pushed as an artifact', () => {
  it('takes the only layer as the JAR itself', () => {
    const document = orasManifest([file('jar', 4096, 'service.jar')]);
    assert.deepEqual(planFetch(parsed(document), appJar, what), {
      manifestDigest: sha256DigestOf(json(document)),
      blob: { digest: digestOf('jar'), sizeBytes: 4096, mediaType: mediaType.jar },
      extract: { kind: 'raw' },
      lowerLayers: [],
    });
  });

  it('reads the layer as a file even when oras gave it the tar type for want of one', () => {
    const plan = planFetch(
      parsed(orasManifest([file('jar', 10, 'app.jar', mediaType.ociTar)])),
      appJar,
      what,
    );
    assert.deepEqual(plan.extract, { kind: 'raw' });
  });

  it("takes the layer titled as the target's file name among several", () => {
    const layers = [
      file('readme', 10, 'README.md'),
      file('jar', 20, 'app.jar'),
      file('sig', 30, 'app.jar.sig'),
    ];
    const plan = planFetch(
      parsed(orasManifest(layers)),
      { path: 'opt/app.jar', pathSetting, expectedSizeBytes: 20 },
      what,
    );
    assert.equal(plan.blob.digest, digestOf('jar'));
  });

  it('refuses several files with none, or two, titled as the target', () => {
    const none = parsed(orasManifest([file('a', 1, 'a.jar'), file('b', 2)]));
    assert.throws(
      () => planFetch(none, appJar, what),
      (error: Error) =>
        error instanceof ConfigError &&
        error.message ===
          `${what} has 2 files ("a.jar", "(untitled)") and none titled "app.jar"; expected one (set LOADER_OCI_FILE to the file's name, or push the JAR alone)`,
    );
    const two = parsed(orasManifest([file('a', 1, 'app.jar'), file('b', 2, 'app.jar')]));
    assert.throws(() => planFetch(two, appJar, what), /has 2 files .* and 2 titled "app\.jar"/);
    assert.throws(() => planFetch(parsed(orasManifest([])), appJar, what), /has no layers/);
  });

  it('refuses a folder oras pushed as an archive', () => {
    const folder = descriptor(mediaType.ociTarGzip, 'dir', 99, {
      annotations: {
        'org.opencontainers.image.title': 'app.jar',
        'io.deis.oras.content.unpack': 'true',
      },
    });
    assert.throws(
      () => planFetch(parsed(orasManifest([folder])), appJar, what),
      /holds a folder pushed as an archive/,
    );
  });

  it('checks ARTIFACT_EXPECTED_SIZE against the listed size before anything is fetched', () => {
    const manifest = parsed(orasManifest([file('jar', 4096, 'app.jar')]));
    assert.throws(
      () => planFetch(manifest, { path: 'app.jar', pathSetting, expectedSizeBytes: 4095 }, what),
      (error: Error) =>
        error instanceof SizeMismatchError &&
        error.exitCode === 5 &&
        error.message ===
          `${what} lists the JAR as 4096 bytes, ARTIFACT_EXPECTED_SIZE is 4095; not fetching it`,
    );
    assert.equal(
      planFetch(manifest, { path: 'app.jar', pathSetting, expectedSizeBytes: 4096 }, what).blob
        .sizeBytes,
      4096,
    );
  });

  it('treats any config other than an image config as an artifact', () => {
    const legacy = {
      ...orasManifest([file('jar', 5)]),
      config: descriptor('application/vnd.unknown.config.v1+json', 'c', 2),
    };
    assert.deepEqual(planFetch(parsed(legacy), appJar, what).extract, {
      kind: 'raw',
    });
  });
});

describe('planFetch, shape (b): a runnable image', () => {
  it('searches a one-layer docker image for the target path', () => {
    const manifest = parsed(
      imageManifest([descriptor(mediaType.dockerTarGzip, 'layer', 777)], true),
    );
    assert.deepEqual(
      planFetch(manifest, { path: 'opt/app.jar', pathSetting, expectedSizeBytes: 5 }, what),
      {
        manifestDigest: manifest.digest,
        blob: { digest: digestOf('layer'), sizeBytes: 777, mediaType: mediaType.dockerTarGzip },
        extract: { kind: 'tar', compression: 'gzip', path: 'opt/app.jar' },
        lowerLayers: [],
      },
    );
  });

  it('lists the layers top down, each with its compression', () => {
    const layers = [
      descriptor(mediaType.ociTarGzip, 'bottom', 1),
      descriptor(mediaType.ociTar, 'middle', 2),
      descriptor(mediaType.ociTarZstd, 'top', 3),
    ];
    const plan = planFetch(parsed(imageManifest(layers)), appJar, what);
    assert.equal(plan.blob.digest, digestOf('top'));
    assert.deepEqual(plan.extract, { kind: 'tar', compression: 'zstd', path: 'app.jar' });
    assert.deepEqual(
      plan.lowerLayers.map((layer) => [layer.blob.digest, layer.extract]),
      [
        [digestOf('middle'), { kind: 'tar', compression: 'none', path: 'app.jar' }],
        [digestOf('bottom'), { kind: 'tar', compression: 'gzip', path: 'app.jar' }],
      ],
    );
  });

  it('refuses an image layer that is not a tar changeset, naming it', () => {
    const layers = [
      descriptor(mediaType.ociTarGzip, 'bottom', 1),
      descriptor(mediaType.jar, 'top', 2),
    ];
    assert.throws(
      () => planFetch(parsed(imageManifest(layers)), appJar, what),
      (error: Error) =>
        error instanceof ConfigError &&
        error.message ===
          `${what}: layer 2 of 2 is "application/java-archive", not a tar layer the loader can search for /app.jar`,
    );
  });
});
