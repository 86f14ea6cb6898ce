// The index scripts/release-image.ts pushed, read from its registry as an engine reads
// it (the Distribution API over HTTP, on loopback): an OCI index of linux/amd64 and
// linux/arm64, each image carrying the release labels of the commit under test and
// the digest of its own platform's base. Runs in the podman pass when LOADER_IMAGE_REF
// names the pushed index (.ci/run); the image tests then run on what it points to.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { forEnginePass, inCi, skipLoudly } from './engine-pass.ts';
import { repoRoot } from './image-build.ts';
import { isLoopbackRegistry, packageVersion, publishedReference } from './images.ts';

const execFileAsync = promisify(execFile);
const indexType = 'application/vnd.oci.image.index.v1+json';
const manifestType = 'application/vnd.oci.image.manifest.v1+json';

interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly platform?: { readonly os: string; readonly architecture: string };
}

await forEnginePass('podman', 'the released index', () => {
  const reference = publishedReference;
  if (
    reference === undefined ||
    !reference.includes('@sha256:') ||
    !isLoopbackRegistry(reference)
  ) {
    const why = 'LOADER_IMAGE_REF does not name an index on a loopback registry (.ci/run sets it)';
    if (inCi)
      test('the released index: LOADER_IMAGE_REF is required in CI', () => assert.fail(why));
    else test('the released index', { skip: skipLoudly('the released index', why) }, () => {});
    return;
  }
  const [host = '', rest = ''] = [
    reference.slice(0, reference.indexOf('/')),
    reference.slice(reference.indexOf('/') + 1),
  ];
  const [repository = '', digest = ''] = rest.split('@');
  const get = async (path: string, accept: string) => {
    const response = await fetch(`http://${host}/v2/${repository}/${path}`, {
      headers: { accept },
    });
    assert.equal(response.status, 200, `GET ${path}`);
    return { type: response.headers.get('content-type'), body: await response.json() };
  };

  describe(`the released index ${reference}`, () => {
    test('is an OCI index of linux/amd64 and linux/arm64, each with the release labels of this commit', async () => {
      const index = await get(`manifests/${digest}`, indexType);
      assert.equal(index.type, indexType);
      const entries = (index.body as { manifests: Descriptor[] }).manifests;
      assert.deepEqual(
        entries.map((entry) => `${entry.platform?.os}/${entry.platform?.architecture}`).sort(),
        ['linux/amd64', 'linux/arm64'],
      );
      const git = async (...args: string[]) =>
        (await execFileAsync('git', args, { cwd: repoRoot })).stdout.trim();
      const revision = await git('rev-parse', 'HEAD');
      const created = new Date(await git('show', '-s', '--format=%cI', 'HEAD')).toISOString();
      const baseDigests = new Set<string>();
      for (const entry of entries) {
        assert.equal(entry.mediaType, manifestType);
        const manifest = await get(`manifests/${entry.digest}`, manifestType);
        const configDigest = (manifest.body as { config: { digest: string } }).config.digest;
        const config = (await get(`blobs/${configDigest}`, '*/*')).body as {
          architecture: string;
          config: { Labels: Record<string, string> };
        };
        assert.equal(config.architecture, entry.platform?.architecture, 'the image is its entry');
        const labels = config.config.Labels;
        const label = (name: string) => labels[`org.opencontainers.image.${name}`];
        assert.equal(label('revision'), revision);
        assert.equal(label('created'), created);
        assert.equal(label('version'), await packageVersion());
        assert.equal(label('licenses'), 'Apache-2.0');
        assert.ok(label('base.name'), 'base.name');
        assert.match(label('base.digest') ?? '', /^sha256:[0-9a-f]{64}$/);
        baseDigests.add(label('base.digest') ?? '');
      }
      assert.equal(baseDigests.size, 2, "each image names its own platform's base");
    });
  });
});
