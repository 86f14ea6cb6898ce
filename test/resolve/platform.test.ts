import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.ts';
import { type ImageIndex, parseManifest } from '../../src/resolve/manifest.ts';
import { machinePlatform, selectManifest } from '../../src/resolve/platform.ts';
import {
  type DescriptorJson,
  descriptor,
  digestOf,
  index,
  json,
  mediaType,
} from '../helpers/oci-documents.ts';

const what = 'the index of oci://r.example/app:1';
const amd64 = machinePlatform('x64');
const arm64 = machinePlatform('arm64');

function parsedIndex(entries: DescriptorJson[]): ImageIndex {
  const parsed = parseManifest(json(index(entries)), { what });
  assert.ok(parsed.kind === 'index');
  return parsed;
}

const entry = (
  seed: string,
  platform?: DescriptorJson['platform'],
  type: string = mediaType.ociManifest,
) => descriptor(type, seed, 100, platform === undefined ? {} : { platform });

/** A buildx attestation entry: unknown/unknown, as docker buildx pushes with provenance. */
const attestation = entry('attestation', { os: 'unknown', architecture: 'unknown' });

describe('machinePlatform', () => {
  it("maps Node's arch names to the ones indexes use", () => {
    assert.deepEqual(machinePlatform('x64'), {
      os: 'linux',
      architecture: 'amd64',
      variant: undefined,
    });
    assert.deepEqual(machinePlatform('arm64'), {
      os: 'linux',
      architecture: 'arm64',
      variant: undefined,
    });
    assert.deepEqual(machinePlatform('arm', '6'), {
      os: 'linux',
      architecture: 'arm',
      variant: 'v6',
    });
    assert.deepEqual(machinePlatform('arm'), { os: 'linux', architecture: 'arm', variant: 'v7' });
    assert.equal(machinePlatform('ia32').architecture, '386');
    assert.equal(machinePlatform('ppc64').architecture, 'ppc64le');
    assert.equal(machinePlatform('mipsel').architecture, 'mipsle');
    assert.equal(machinePlatform('s390x').architecture, 's390x');
  });
});

describe('selectManifest', () => {
  it("picks this machine's linux entry, past attestations and other platforms", () => {
    const list = parsedIndex([
      entry('amd64', { os: 'linux', architecture: 'amd64' }),
      entry('arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }),
      entry('windows', { os: 'windows', architecture: 'amd64' }),
      attestation,
    ]);
    assert.equal(selectManifest(list, amd64, what).digest, digestOf('amd64'));
    assert.equal(selectManifest(list, arm64, what).digest, digestOf('arm64'));
  });

  it('takes the one entry without a platform', () => {
    assert.equal(
      selectManifest(parsedIndex([entry('any'), attestation]), arm64, what).digest,
      digestOf('any'),
    );
  });

  it('compares architecture aliases and implied variants as equal', () => {
    const aliases = parsedIndex([
      entry('aarch64', { os: 'linux', architecture: 'aarch64', variant: '8' }),
    ]);
    assert.equal(selectManifest(aliases, arm64, what).digest, digestOf('aarch64'));
    const v1 = parsedIndex([entry('v1', { os: 'linux', architecture: 'amd64', variant: 'v1' })]);
    assert.equal(selectManifest(v1, amd64, what).digest, digestOf('v1'));
    const arm = parsedIndex([
      entry('v6', { os: 'linux', architecture: 'arm', variant: 'v6' }),
      entry('v7', { os: 'linux', architecture: 'arm', variant: 'v7' }),
    ]);
    assert.equal(selectManifest(arm, machinePlatform('arm', '7'), what).digest, digestOf('v7'));
    assert.equal(selectManifest(arm, machinePlatform('arm', '6'), what).digest, digestOf('v6'));
  });

  it('follows a nested index and a Docker manifest list entry, ignoring unknown media types', () => {
    const nested = parsedIndex([
      entry('nested', { os: 'linux', architecture: 'amd64' }, mediaType.ociIndex),
      entry(
        'helm',
        { os: 'linux', architecture: 'amd64' },
        'application/vnd.cncf.helm.config.v1+json',
      ),
    ]);
    assert.equal(selectManifest(nested, amd64, what).mediaType, mediaType.ociIndex);
  });

  it('refuses when nothing fits, listing what the index offers', () => {
    const list = parsedIndex([entry('arm64', { os: 'linux', architecture: 'arm64' }), attestation]);
    assert.throws(
      () => selectManifest(list, amd64, what),
      (error: Error) =>
        error instanceof ConfigError &&
        error.message ===
          `${what} has no entry for linux/amd64 or without a platform (it offers: linux/arm64, unknown/unknown)`,
    );
    assert.throws(() => selectManifest(parsedIndex([]), amd64, what), /it offers: nothing/);
    const v3only = parsedIndex([
      entry('v3', { os: 'linux', architecture: 'amd64', variant: 'v3' }),
    ]);
    assert.throws(() => selectManifest(v3only, amd64, what), /it offers: linux\/amd64\/v3/);
  });

  it('refuses two candidates, naming their digests, but not one listed twice', () => {
    const twice = parsedIndex([
      entry('any'),
      entry('amd64', { os: 'linux', architecture: 'amd64' }),
    ]);
    assert.throws(
      () => selectManifest(twice, amd64, what),
      (error: Error) =>
        error instanceof ConfigError &&
        error.message.includes(
          `has 2 entries this linux/amd64 machine could run (${digestOf('any')}, ${digestOf('amd64')}); pin the one to deploy by its digest`,
        ),
    );
    const repeated = parsedIndex([entry('same'), entry('same')]);
    assert.equal(selectManifest(repeated, amd64, what).digest, digestOf('same'));
  });
});
