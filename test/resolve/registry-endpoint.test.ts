import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseOciReference } from '../../src/oci/reference.ts';
import { parseRegistryHosts } from '../../src/oci/registry-hosts.ts';
import { blobUrl, manifestUrl, registryOrigin } from '../../src/resolve/registry-endpoint.ts';

describe('registryOrigin', () => {
  const plain = parseRegistryHosts('localhost:5000,[::1]:5000');

  it('speaks HTTPS unless the registry, port included, is listed; loopback is not special', () => {
    assert.equal(registryOrigin('localhost:5000', plain).href, 'http://localhost:5000/');
    assert.equal(registryOrigin('[::1]:5000', plain).href, 'http://[::1]:5000/');
    assert.equal(registryOrigin('localhost:5001', plain).href, 'https://localhost:5001/');
    assert.equal(registryOrigin('127.0.0.1:5000', plain).href, 'https://127.0.0.1:5000/');
  });

  it("sends Docker Hub's names to its API host", () => {
    for (const host of ['docker.io', 'index.docker.io', 'registry-1.docker.io'])
      assert.equal(registryOrigin(host, new Set()).href, 'https://registry-1.docker.io/');
  });
});

describe('manifestUrl and blobUrl', () => {
  it('build the distribution spec paths', () => {
    const reference = parseOciReference('oci://localhost:5000/team/app:1.0');
    const origin = registryOrigin(reference.registry, new Set(['localhost:5000']));
    const digest = `sha256:${'0'.repeat(64)}`;
    assert.equal(
      manifestUrl(origin, reference, reference.manifestReference).href,
      'http://localhost:5000/v2/team/app/manifests/1.0',
    );
    assert.equal(
      blobUrl(origin, reference, digest).href,
      `http://localhost:5000/v2/team/app/blobs/${digest}`,
    );
  });
});
