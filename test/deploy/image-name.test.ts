// One image name across the README, docs/container.md, the deploy/ examples and the container tests:
// registry.example.com/runtime-loader:<package.json version>.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { publishedImageName } from '../../test-container/images.ts';

const root = new URL('../../', import.meta.url);
const files = [
  'README.md',
  'docs/container.md',
  'deploy/docker/run.sh',
  'deploy/docker/compose.yaml',
  'deploy/kubernetes/deployment.yaml',
  'deploy/kubernetes/refresh-url.yaml',
  'deploy/kubernetes/serve.yaml',
];

test('every loader image reference is the one published name at the package version', async () => {
  const { version } = JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as {
    version: string;
  };
  const expected = `${publishedImageName}:${version}`;
  for (const file of files) {
    const text = await readFile(new URL(file, root), 'utf8');
    const references = [...text.matchAll(/\w[\w.-]*(?:\/[\w.-]+)*\/runtime-loader:[\w.-]+/g)].map(
      (match) => match[0],
    );
    assert.ok(references.length > 0, `${file} names the loader image`);
    for (const reference of references) assert.equal(reference, expected, `${file}`);
  }
  // And no loader image under a bare or different name (e.g. "-t runtime-loader:0.1.0").
  for (const page of ['README.md', 'docs/container.md']) {
    const text = await readFile(new URL(page, root), 'utf8');
    assert.doesNotMatch(text, /[\s=]runtime-loader:\d/, page);
  }
});
