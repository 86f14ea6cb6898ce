import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.ts';
import type { LoaderConfig } from '../../src/config/types.ts';
import { ConfigError } from '../../src/errors.ts';
import { resolveArtifact } from '../../src/resolve/resolve.ts';
import { configFor, downloadKit } from '../helpers/download-kit.ts';
import { serve } from '../helpers/loopback-server.ts';
import { artifact } from '../helpers/registry/artifact.ts';
import { ociIndexType } from '../helpers/registry/image-index.ts';

const tempFiles = { removed: [], inUse: [] };
const download = { action: 'download', tempFiles, reason: 'no file in place' } as const;
const signal = () => AbortSignal.timeout(5_000);

function ociConfig(reference: string, host: string): LoaderConfig {
  const invocation = loadConfig(
    [],
    { ARTIFACT_URL: reference, LOADER_REGISTRY_PLAIN_HTTP: host, LOADER_MAX_ATTEMPTS: '1' },
    false,
  );
  assert.equal(invocation.kind, 'run');
  return (invocation as { config: LoaderConfig }).config;
}

describe('resolveArtifact', () => {
  it('a signed URL resolves to itself: ARTIFACT_EXPECTED_SIZE, no request made', async () => {
    const config = configFor('https://bucket.example/app.jar?sig=secret1234', 1234);
    await using kit = downloadKit(config);
    const resolved = await resolveArtifact(config, download, kit.session, signal());
    assert.equal(resolved.kind, 'url');
    if (resolved.kind !== 'url') return;
    assert.equal(
      resolved.target.sources.current.url.href,
      'https://bucket.example/app.jar?sig=secret1234',
    );
    assert.equal(resolved.target.expectedSizeBytes, 1234);
    assert.equal(kit.session.requested, false);
  });

  it('an index whose entry is an index, and so on, is followed two deep and no deeper', async () => {
    // index(3) -> index(2) -> index(1) -> index(0), each entry without a platform.
    const chain = [
      artifact(
        ociIndexType,
        JSON.stringify({ schemaVersion: 2, mediaType: ociIndexType, manifests: [] }),
        [],
      ),
    ];
    for (let level = 1; level <= 3; level += 1) {
      const below = chain[level - 1];
      assert.ok(below);
      chain.push(
        artifact(
          ociIndexType,
          JSON.stringify({
            schemaVersion: 2,
            mediaType: ociIndexType,
            manifests: [{ mediaType: ociIndexType, digest: below.digest, size: below.size }],
          }),
          [],
        ),
      );
    }
    await using registry = await serve((request, response) => {
      const found = chain.find((each) => request.url?.endsWith(each.digest));
      const top = chain[3];
      const document = request.url?.endsWith('/1.0') ? top : found;
      if (document === undefined) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': ociIndexType });
      response.end(document.manifest);
    });
    const host = new URL(registry.origin).host;
    const config = ociConfig(`oci://${host}/team/app:1.0`, host);
    await using kit = downloadKit(configFor('http://127.0.0.1:9/unused.jar', 1));
    await assert.rejects(
      resolveArtifact(config, download, kit.session, signal()),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /nests indexes more than 2 deep/);
        return true;
      },
    );
    assert.equal(registry.paths.length, 3, 'the tag, then two entries');
  });
});
