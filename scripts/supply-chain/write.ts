// What `npm run build` writes beside the loader bundle for the image's supply chain:
//   runtime-loader.cdx.json     the CycloneDX SBOM (cyclonedx.ts). The name ends in
//                               .cdx.json, which Trivy's image scan reads by default and
//                               Syft's sbom-cataloger matches (docs/container.md, SBOM)
//   THIRD-PARTY-LICENSES.txt    the licence texts of the bundled packages
// Both come from esbuild's metafile and package-lock.json (bundled-packages.ts).
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Metafile } from 'esbuild';
import { type BundledPackage, bundledPackages } from './bundled-packages.ts';
import { cycloneDxBom, type RootComponent, type Tool } from './cyclonedx.ts';
import { thirdPartyLicensesText } from './third-party-licenses.ts';

export const sbomFileName = 'runtime-loader.cdx.json';
export const licensesFileName = 'THIRD-PARTY-LICENSES.txt';

export interface SupplyChainFiles {
  readonly packages: readonly BundledPackage[];
  readonly sbomPath: string;
  readonly licensesPath: string;
}

/** Writes both files into the folder of `outfile` (a path relative to `projectDir`). */
export async function writeSupplyChainFiles(options: {
  readonly metafile: Metafile;
  readonly outfile: string;
  readonly projectDir: string;
  readonly root: RootComponent;
  readonly tools: readonly Tool[];
}): Promise<SupplyChainFiles> {
  const { metafile, outfile, projectDir, root } = options;
  const packages = await bundledPackages(metafile, outfile, projectDir);
  const outDir = join(projectDir, dirname(outfile));
  const sbomPath = join(outDir, sbomFileName);
  const licensesPath = join(outDir, licensesFileName);
  const bom = cycloneDxBom(root, packages, options.tools);
  await writeFile(sbomPath, `${JSON.stringify(bom, null, 2)}\n`);
  const bundle = outfile.slice(outfile.lastIndexOf('/') + 1);
  await writeFile(licensesPath, thirdPartyLicensesText(bundle, root, packages));
  return { packages, sbomPath, licensesPath };
}
