// The README is for the platform engineer who deploys: short, deploying within its
// first 120 lines, and its snippets the same as the files in deploy/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { loaderEnvNames, loaderHardeningFlags } from '../../test-container/hardening.ts';
import { publishedImageName } from '../../test-container/images.ts';
import { codeBlocks, headings } from '../helpers/markdown.ts';

const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  version: string;
};

/** The heading `### text` under `## Deploying`, or a failure naming it. */
function deployHeading(text: string) {
  const all = headings(readme);
  const deploying = all.find((heading) => heading.level === 2 && heading.text === 'Deploying');
  assert.ok(deploying, 'the README has a "## Deploying" section');
  const found = all.find(
    (heading) => heading.level === 3 && heading.text === text && heading.line > deploying.line,
  );
  assert.ok(found, `the README has "### ${text}" under Deploying`);
  return found;
}

/** The code blocks between a heading and the next heading of its level or above. */
function blocksUnder(text: string): { info: string; body: string }[] {
  const start = deployHeading(text);
  const end = headings(readme).find((heading) => heading.line > start.line && heading.level <= 3);
  return codeBlocks(readme).filter(
    (block) => block.line > start.line && (end === undefined || block.line < end.line),
  );
}

/** Whether every key of `part` is in `whole` with the same value; arrays item by item. */
function isSubset(part: unknown, whole: unknown, path: string): string[] {
  if (Array.isArray(part)) {
    if (!Array.isArray(whole) || whole.length !== part.length)
      return [`${path}: not the same list`];
    return part.flatMap((item, index) => isSubset(item, whole[index], `${path}[${index}]`));
  }
  if (typeof part === 'object' && part !== null) {
    if (typeof whole !== 'object' || whole === null) return [`${path}: not an object`];
    return Object.entries(part).flatMap(([key, value]) =>
      isSubset(value, (whole as Record<string, unknown>)[key], `${path}.${key}`),
    );
  }
  return part === whole ? [] : [`${path}: ${String(part)} is ${String(whole)} in the file`];
}

describe('the README', () => {
  it('is at most 300 lines', () => {
    const lines = readme.split('\n').length - (readme.endsWith('\n') ? 1 : 0);
    assert.ok(lines <= 300, `README.md has ${lines} lines`);
  });

  it('starts deploying on Kubernetes, Docker and Compose within its first 120 lines', () => {
    for (const text of ['Kubernetes', 'Docker', 'Docker Compose']) {
      const { line } = deployHeading(text);
      assert.ok(line <= 120, `"### ${text}" starts at line ${line}`);
    }
  });

  it("shows the Deployment's init container as deploy/kubernetes/deployment.yaml has it", () => {
    const [snippet] = blocksUnder('Kubernetes').filter((block) => block.info === 'yaml');
    assert.ok(snippet, 'a yaml block under Kubernetes');
    const shown = parse(snippet.body) as { initContainers: unknown[] };
    const [document] = parseAllDocuments(
      readFileSync(new URL('deploy/kubernetes/deployment.yaml', root), 'utf8'),
    );
    const deployment = document?.toJS() as { spec: { template: { spec: unknown } } };
    assert.deepEqual(isSubset(shown, deployment.spec.template.spec, 'spec'), []);
    assert.ok(shown.initContainers.length === 1);
  });

  it('runs the loader in Docker with the lock-down the container test uses', () => {
    const [snippet] = blocksUnder('Docker').filter((block) => block.info === 'sh');
    assert.ok(snippet, 'a sh block under Docker');
    const words = snippet.body.replaceAll('\\\n', ' ').split(/\s+/);
    const image = `${publishedImageName}:${version}`;
    const loaderRun = words.slice(words.indexOf('run'), words.indexOf(image) + 1);
    assert.ok(loaderRun.includes(image), 'the first docker run starts the loader image');
    assert.ok(
      loaderRun.join(' ').includes(loaderHardeningFlags.join(' ')),
      `the loader runs with ${loaderHardeningFlags.join(' ')}`,
    );
    for (const name of loaderEnvNames) assert.ok(loaderRun.join(' ').includes(`-e ${name}`), name);
    assert.ok(loaderRun.includes('app-jars:/app/jars'), 'the volume is mounted at /app/jars');
  });

  it('runs Compose with the file and the commands deploy/docker/compose.yaml states', () => {
    const [snippet] = blocksUnder('Docker Compose').filter((block) => block.info === 'sh');
    assert.ok(snippet, 'a sh block under Docker Compose');
    const compose = readFileSync(new URL('deploy/docker/compose.yaml', root), 'utf8');
    const commands = snippet.body.split('\n').filter((line) => line.startsWith('docker '));
    assert.ok(commands.length > 0, 'the sh block under Docker Compose runs docker commands');
    for (const command of commands) {
      const bare = command.replace(/\s+#.*$/, '');
      assert.ok(compose.includes(`#   ${bare}\n`), `compose.yaml's header shows: ${bare}`);
    }
  });
});
