// What `npm run build` writes beside the loader bundle (scripts/supply-chain/write.ts):
// the SBOM lists every npm package a bundle holds (read from the build's metafile) at
// the version package-lock.json locks, and nothing else; the licence file has each
// one's text, or says that none is bundled; and the SBOM's name is one the scanners
// read inside an image. Checked on the real dist/ that `npm test` builds first (which
// bundles no package today), and on a build of the test's own that bundles a real
// package of node_modules (yazl, a devDependency, with its dependency buffer-crc32)
// through the same machinery, so that a package missing from the SBOM would be seen.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { build } from 'esbuild';
import {
  licensesFileName,
  sbomFileName,
  writeSupplyChainFiles,
} from '../../../scripts/supply-chain/write.ts';
import {
  assertLicenceTexts,
  type HeldPackage,
  packagesIn,
  packagesInBundle,
} from '../../helpers/bundle-contents.ts';
import { scannerReads } from '../../helpers/scanner-globs.ts';

const repoRoot = new URL('../../../', import.meta.url).pathname;
const readJson = async (path: string) => JSON.parse(await readFile(join(repoRoot, path), 'utf8'));

interface Component {
  readonly name: string;
  readonly version: string;
  readonly purl: string;
}

/** The SBOM lists exactly `held`, each at its locked version. */
function assertListsExactly(bom: { components: Component[] }, held: readonly HeldPackage[]): void {
  const expected = held.map(({ name, version, purl }) => ({ name, version, purl }));
  const listed = bom.components.map(({ name, version, purl }) => ({ name, version, purl }));
  assert.deepEqual(
    listed.sort((a, b) => a.purl.localeCompare(b.purl)),
    expected.sort((a, b) => a.purl.localeCompare(b.purl)),
  );
}

describe('the build writes the bundle supply-chain files', () => {
  it('the SBOM lists every package the bundle holds at its locked version, and nothing else', async () => {
    const bom = await readJson(`dist/${sbomFileName}`);
    assertListsExactly(bom, await packagesInBundle());
    const pkg = await readJson('package.json');
    assert.deepEqual(
      [bom.metadata.component.name, bom.metadata.component.version],
      [pkg.name, pkg.version],
    );
    assert.deepEqual(bom.dependencies[0], {
      ref: 'runtime-loader',
      dependsOn: bom.components.map((component: { 'bom-ref': string }) => component['bom-ref']),
    });
  });

  it('THIRD-PARTY-LICENSES.txt holds the licence text of every bundled package, or says none is', async () => {
    const text = await readFile(join(repoRoot, 'dist', licensesFileName), 'utf8');
    await assertLicenceTexts(text, await packagesInBundle());
  });

  it('a bundle that holds packages of node_modules has each in the SBOM and the licence file, at its locked version', async () => {
    await mkdir(join(repoRoot, '.tmp'), { recursive: true });
    const dir = await mkdtemp(join(repoRoot, '.tmp', 'supply-chain-'));
    try {
      const entry = join(dir, 'entry.mjs');
      await writeFile(entry, "import yazl from 'yazl';\nconsole.log(yazl.ZipFile);\n");
      const outfile = relative(repoRoot, join(dir, 'bundle.mjs'));
      const { metafile } = await build({
        absWorkingDir: repoRoot,
        entryPoints: [entry],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        metafile: true,
        logLevel: 'silent',
      });
      const written = await writeSupplyChainFiles({
        metafile,
        outfile,
        projectDir: repoRoot,
        root: { name: 'fixture', version: '0.0.0', license: 'Apache-2.0' },
        tools: [],
      });
      const held = await packagesIn(metafile, outfile);
      assert.deepEqual(
        held.map(({ name }) => name),
        ['buffer-crc32', 'yazl'],
        'the package and its dependency',
      );
      assertListsExactly(JSON.parse(await readFile(written.sbomPath, 'utf8')), held);
      await assertLicenceTexts(await readFile(written.licensesPath, 'utf8'), held);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the SBOM's name is one Trivy reads in an image by default and Syft's sbom-cataloger matches", () => {
    const path = `/app/${sbomFileName}`;
    assert.deepEqual(scannerReads(path), { trivy: true, syft: true });
  });
});
