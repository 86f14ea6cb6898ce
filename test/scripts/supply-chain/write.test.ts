// What `npm run build` writes beside the loader bundle (scripts/supply-chain/write.ts),
// checked on the real dist/ that `npm test` builds first: the SBOM lists every npm
// package the bundle holds (read from the build's metafile) at the version
// package-lock.json locks, undici among them; the licence file has each one's text;
// and the SBOM's name is one the scanners read inside an image.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { licensesFileName, sbomFileName } from '../../../scripts/supply-chain/write.ts';
import { packagesInBundle } from '../../helpers/bundle-contents.ts';
import { scannerReads } from '../../helpers/scanner-globs.ts';

const repoRoot = new URL('../../../', import.meta.url).pathname;
const readJson = async (path: string) => JSON.parse(await readFile(join(repoRoot, path), 'utf8'));

interface Component {
  readonly name: string;
  readonly version: string;
  readonly purl: string;
}

describe('the build writes the bundle supply-chain files', () => {
  it('the SBOM lists every package the bundle holds at its locked version (undici 8.12.4 today)', async () => {
    const bom = await readJson(`dist/${sbomFileName}`);
    const held = await packagesInBundle();
    assert.ok(held.length > 0, 'the bundle holds npm packages');
    const expected = held.map(({ name, version, purl }) => ({ name, version, purl }));
    const listed = (bom.components as Component[]).map(({ name, version, purl }) => ({
      name,
      version,
      purl,
    }));
    assert.deepEqual(
      listed.sort((a, b) => a.purl.localeCompare(b.purl)),
      expected.sort((a, b) => a.purl.localeCompare(b.purl)),
    );
    assert.ok(
      listed.some((component) => component.purl === 'pkg:npm/undici@8.12.4'),
      'undici at the pinned version',
    );
    const pkg = await readJson('package.json');
    assert.deepEqual(
      [bom.metadata.component.name, bom.metadata.component.version],
      [pkg.name, pkg.version],
    );
  });

  it('THIRD-PARTY-LICENSES.txt holds the licence text of every bundled package', async () => {
    const text = await readFile(join(repoRoot, 'dist', licensesFileName), 'utf8');
    for (const { path, name, version } of await packagesInBundle()) {
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
  });

  it("the SBOM's name is one Trivy reads in an image by default and Syft's sbom-cataloger matches", () => {
    const path = `/app/${sbomFileName}`;
    assert.deepEqual(scannerReads(path), { trivy: true, syft: true });
  });
});
