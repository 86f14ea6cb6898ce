// Every relative link of README.md and docs/*.md resolves: to a file or folder of
// the repository, and an #anchor to a heading of the Markdown file it names, by
// GitHub's anchor rules. Links to other sites are not fetched.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { anchors, links } from '../helpers/markdown.ts';

const root = resolve(import.meta.dirname, '../..');
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
/** Made by a build or a run, absent from a fresh clone: a link there would break. */
const generated = ['dist/', 'node_modules/', '.tmp/', 'demo/'];

/** Why a link of `page` does not resolve, or undefined when it does. */
export function brokenLink(page: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) return undefined;
  const hash = target.indexOf('#');
  const path = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
  const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const file = path === '' ? join(root, page) : resolve(root, dirname(page), path);
  const inRepo = relative(root, file).split(sep).join('/');
  if (inRepo.startsWith('..')) return 'points outside the repository';
  if (generated.some((folder) => `${inRepo}/`.startsWith(folder)))
    return 'points to a generated file';
  if (!existsSync(file)) return `no file ${inRepo}`;
  if (anchor === undefined) return undefined;
  if (!file.endsWith('.md')) {
    return /^L\d+(-L\d+)?$/.test(anchor) ? undefined : `#${anchor} in a file that is not Markdown`;
  }
  return anchors(readFileSync(file, 'utf8')).has(anchor)
    ? undefined
    : `no heading #${anchor} in ${inRepo}`;
}

describe('documentation links', () => {
  it('covers the README and every page of docs/', () => {
    assert.ok(pages.includes('docs/README.md'), 'docs/README.md, the index, exists');
    assert.ok(pages.length > 2);
  });

  for (const page of pages) {
    it(`${page}: every relative link and anchor resolves`, () => {
      const found = links(readFileSync(join(root, page), 'utf8'));
      const broken = found.flatMap(({ target, line }) => {
        const why = brokenLink(page, target);
        return why === undefined ? [] : [`${page}:${line} (${target}): ${why}`];
      });
      assert.deepEqual(broken, []);
    });
  }

  it('finds a broken file, a broken anchor and a link out of the repository', () => {
    assert.equal(brokenLink('README.md', 'docs/behaviour.md#guarantees'), undefined);
    assert.match(
      brokenLink('README.md', 'docs/nothing-here.md') ?? '',
      /no file docs\/nothing-here.md/,
    );
    assert.match(brokenLink('README.md', 'docs/behaviour.md#no-such-heading') ?? '', /no heading/);
    assert.match(brokenLink('docs/behaviour.md', '#no-such-heading') ?? '', /no heading/);
    assert.match(brokenLink('docs/behaviour.md', '../../etc/passwd') ?? '', /outside/);
    assert.match(brokenLink('README.md', 'dist/runtime-loader.mjs') ?? '', /generated/);
    assert.equal(brokenLink('README.md', 'https://example.com/nowhere#x'), undefined);
  });
});
