// What a built bundle holds, read by the tests on their own from the build's
// metafile (dist/runtime-loader.meta.json for `npm run build`) and package-lock.json,
// to check the SBOM and the licence file against it.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';

const repoRoot = new URL('../../', import.meta.url).pathname;

export interface HeldPackage {
  /** Its folder as package-lock.json keys it: node_modules/yazl. */
  readonly path: string;
  readonly name: string;
  /** The version package-lock.json locks. */
  readonly version: string;
  /** pkg:npm/NAME@VERSION, the scope's @ encoded. */
  readonly purl: string;
}

/** Every npm package with bytes in dist/runtime-loader.mjs, at its locked version, sorted by purl. */
export async function packagesInBundle(): Promise<HeldPackage[]> {
  const metafile = JSON.parse(
    await readFile(join(repoRoot, 'dist/runtime-loader.meta.json'), 'utf8'),
  ) as Metafile;
  return packagesIn(metafile, 'dist/runtime-loader.mjs');
}

/** Every npm package with bytes in `outfile` (a metafile output of a build in the repository). */
export async function packagesIn(metafile: Metafile, outfile: string): Promise<HeldPackage[]> {
  const lock = JSON.parse(await readFile(join(repoRoot, 'package-lock.json'), 'utf8'));
  const inputs = metafile.outputs[outfile]?.inputs ?? {};
  const held = new Map<string, string>();
  for (const [input, { bytesInOutput }] of Object.entries(inputs)) {
    const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
    if (match?.[1] !== undefined && match[2] !== undefined && bytesInOutput > 0) {
      held.set(match[1], match[2]);
    }
  }
  return [...held]
    .map(([path, name]) => {
      const version = lock.packages[path].version as string;
      return { path, name, version, purl: `pkg:npm/${name.replace(/^@/, '%40')}@${version}` };
    })
    .sort((a, b) => a.purl.localeCompare(b.purl));
}

/**
 * A licence file (THIRD-PARTY-LICENSES.txt) has a section with the text of every licence
 * file of each of `held`, and no other section; with none held, it says so.
 */
export async function assertLicenceTexts(
  text: string,
  held: readonly HeldPackage[],
): Promise<void> {
  for (const { path, name, version } of held) {
    assert.ok(text.includes(`\n${name} ${version} (`), `a section for ${name} ${version}`);
    const files = (await readdir(join(repoRoot, path))).filter((file) =>
      /^(licen[cs]e|copying)/i.test(file),
    );
    assert.ok(files.length > 0, `${path} has a licence file`);
    for (const file of files) {
      const licence = await readFile(join(repoRoot, path, file), 'utf8');
      assert.ok(text.includes(licence.trimEnd()), `${name}'s ${file} text`);
    }
  }
  const sections = text.split('\n').filter((line) => line === '='.repeat(78)).length / 2;
  assert.equal(sections, held.length, 'a section for each bundled package, and no other');
  if (held.length === 0) {
    assert.match(text, /^No third-party package is bundled into runtime-loader\.mjs/);
  }
}
