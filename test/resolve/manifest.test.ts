import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, IntegrityError } from '../../src/errors.ts';
import { sha256DigestOf } from '../../src/oci/digest.ts';
import { maxManifestBytes, parseManifest } from '../../src/resolve/manifest.ts';
import { manifestAccept } from '../../src/resolve/media-types.ts';
import {
  descriptor,
  digestOf,
  imageManifest,
  index,
  json,
  mediaType,
  orasManifest,
} from '../helpers/oci-documents.ts';

const what = 'the manifest of oci://r.example/app:1';
const jarLayer = descriptor(mediaType.jar, 'jar', 1234, {
  annotations: { 'org.opencontainers.image.title': 'app.jar' },
});

function refusal(body: Buffer, contentType?: string) {
  try {
    parseManifest(body, { what, contentType });
  } catch (error) {
    assert.ok(error instanceof Error);
    assert.ok(error.message.startsWith(what), error.message);
    return error;
  }
  assert.fail('accepted');
}

describe('manifestAccept', () => {
  it('asks for both image manifest and both index types, and not schema 1', () => {
    assert.deepEqual(manifestAccept.split(', ').sort(), [
      mediaType.dockerList,
      mediaType.dockerManifest,
      mediaType.ociIndex,
      mediaType.ociManifest,
    ]);
  });
});

describe('parseManifest', () => {
  it('reads an oras artifact manifest: config and titled layers', () => {
    const parsed = parseManifest(json(orasManifest([jarLayer])), {
      what,
      contentType: mediaType.ociManifest,
    });
    assert.equal(parsed.kind, 'image');
    assert.ok(parsed.kind === 'image');
    assert.equal(parsed.config.mediaType, mediaType.empty);
    assert.equal(parsed.layers.length, 1);
    assert.equal(parsed.digest, sha256DigestOf(json(orasManifest([jarLayer]))));
    assert.deepEqual(parsed.layers[0], {
      mediaType: mediaType.jar,
      digest: digestOf('jar'),
      sizeBytes: 1234,
      annotations: new Map([['org.opencontainers.image.title', 'app.jar']]),
      platform: undefined,
      artifactType: undefined,
    });
  });

  it('gives the digest of the bytes, and refuses bytes that do not hash to the digest fetched by', () => {
    const body = json(orasManifest([jarLayer]));
    const digest = sha256DigestOf(body);
    assert.equal(parseManifest(body, { what }).digest, digest);
    assert.equal(parseManifest(body, { what, expectedDigest: digest }).digest, digest);
    const changed = Buffer.from(body.toString().replace('1234', '1235'));
    assert.throws(
      () => parseManifest(changed, { what, expectedDigest: digest }),
      (error: Error) =>
        error instanceof IntegrityError &&
        error.message === `${what} has the digest ${sha256DigestOf(changed)}, expected ${digest}`,
    );
  });

  it('reads a Docker schema 2 manifest and a Docker manifest list', () => {
    const image = parseManifest(
      json(imageManifest([descriptor(mediaType.dockerTarGzip, 'l', 9)], true)),
      { what },
    );
    assert.equal(image.mediaType, mediaType.dockerManifest);
    const list = parseManifest(
      json(
        index(
          [
            descriptor(mediaType.dockerManifest, 'm', 5, {
              platform: { os: 'linux', architecture: 'arm', variant: 'v7' },
            }),
          ],
          true,
        ),
      ),
      { what },
    );
    assert.equal(list.kind, 'index');
    assert.ok(list.kind === 'index');
    assert.deepEqual(list.manifests[0]?.platform, {
      os: 'linux',
      architecture: 'arm',
      variant: 'v7',
    });
  });

  it('takes the type from the document, else Content-Type, else its shape', () => {
    const { mediaType: _, ...bare } = orasManifest([jarLayer]);
    assert.equal(
      parseManifest(json(bare), { what, contentType: `${mediaType.dockerManifest}; charset=utf-8` })
        .mediaType,
      mediaType.dockerManifest,
    );
    assert.equal(
      parseManifest(json(bare), { what, contentType: 'application/json' }).mediaType,
      mediaType.ociManifest,
    );
    const { mediaType: __, ...bareIndex } = index([]);
    assert.equal(parseManifest(json(bareIndex), { what }).kind, 'index');
  });

  it('refuses a document shaped as the other kind than it says, or as both', () => {
    const confused = { ...index([]), mediaType: mediaType.ociManifest };
    assert.match(
      refusal(json(confused)).message,
      /says it is application\/vnd\.oci\.image\.manifest\.v1\+json but is shaped as the other kind/,
    );
    const both = { ...orasManifest([jarLayer]), manifests: [] };
    const error = refusal(json(both));
    assert.ok(error instanceof IntegrityError);
    assert.match(error.message, /has both "manifests" and "layers"/);
  });

  it('refuses schema 1 and other kinds by name, as configuration', () => {
    const schema1 = refusal(json({ schemaVersion: 1, name: 'app', fsLayers: [] }));
    assert.ok(schema1 instanceof ConfigError);
    assert.match(schema1.message, /Docker schema 1 manifest/);
    assert.match(
      refusal(
        json({ schemaVersion: 2 }),
        'application/vnd.docker.distribution.manifest.v1+prettyjws',
      ).message,
      /schema 1/,
    );
    const helm = refusal(
      json({ schemaVersion: 2, mediaType: 'application/vnd.cncf.helm.chart.v1' }),
    );
    assert.ok(helm instanceof ConfigError);
    assert.match(
      helm.message,
      /is "application\/vnd\.cncf\.helm\.chart\.v1", not an image manifest or index; expected one of/,
    );
    assert.match(refusal(json({ schemaVersion: 2 })).message, /is of no media type/);
  });

  it('refuses malformed documents as integrity failures, saying which field', () => {
    const layers = (layer: unknown) => json({ ...orasManifest([]), layers: [layer] });
    const cases: [Buffer, RegExp][] = [
      [Buffer.from('{"schemaVersion": 2,'), /is not valid JSON$/],
      [json([]), /is not a JSON object/],
      [json({ ...orasManifest([]), schemaVersion: 3 }), /has schemaVersion 3, expected 2/],
      [
        json({
          ...orasManifest([]),
          layers: undefined,
          config: undefined,
          mediaType: mediaType.ociManifest,
        }),
        /config is not a descriptor object/,
      ],
      [json({ ...orasManifest([]), layers: 'x' }), /has no "layers" array/],
      [json({ ...index([]), manifests: undefined }), /has no "manifests" array/],
      [layers({ ...jarLayer, mediaType: undefined }), /layers\[0\] has no mediaType/],
      [layers({ ...jarLayer, digest: undefined }), /layers\[0\] has no digest/],
      [
        layers({ ...jarLayer, digest: `sha512:${'a'.repeat(128)}` }),
        /layers\[0\]: only sha256 digests are accepted, got a "sha512" digest/,
      ],
      [
        layers({ ...jarLayer, size: -1 }),
        /layers\[0\] has the size -1; expected a whole number of bytes/,
      ],
      [layers({ ...jarLayer, size: 1.5 }), /has the size 1\.5/],
      [
        layers({ ...jarLayer, annotations: { a: 1 } }),
        /layers\[0\]: annotations is not an object of strings/,
      ],
      [
        json({ ...index([{ ...jarLayer, platform: { os: 'linux' } } as never]) }),
        /manifests\[0\]: platform needs "os" and "architecture"/,
      ],
      [json({ ...orasManifest([]), mediaType: 7 }), /has a mediaType that is not a string/],
    ];
    for (const [body, message] of cases) {
      const error = refusal(body);
      assert.ok(error instanceof IntegrityError, `${message}: ${error.message}`);
      assert.match(error.message, message);
    }
  });

  it('refuses a document over 4 MiB before parsing it', () => {
    const error = refusal(Buffer.alloc(maxManifestBytes + 1, 0x20));
    assert.ok(error instanceof IntegrityError);
    assert.match(error.message, /is 4194305 bytes, more than a manifest may be \(4194304\)/);
  });
});
