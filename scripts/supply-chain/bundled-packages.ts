// Which npm packages a bundle holds, as esbuild's metafile says: every input under
// node_modules/ that put bytes into the output file, mapped to its package folder, with
// the version package-lock.json locks, its declared licence and its licence file. Nothing
// here is a hand-written list: whatever the bundle holds tomorrow is what gets listed.
// The build fails here, naming the package, when one is not in the lockfile, is not the
// locked version, has no licence file, or has a licence outside allowed-licenses.ts.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { isPermissive, permissiveLicenses } from './allowed-licenses.ts';

export interface BundledPackage {
  readonly name: string;
  readonly version: string;
  /** The folder, relative to the project, as package-lock.json keys it: `node_modules/undici`. */
  readonly path: string;
  /** The SPDX expression of the package's package.json. */
  readonly license: string;
  /** The licence files found in the folder (LICENSE, LICENCE, COPYING, any suffix). */
  readonly licenseFiles: readonly string[];
  readonly licenseText: string;
  /** package-lock.json's integrity of the registry tarball (`sha512-<base64>`), if it has one. */
  readonly integrity: string | undefined;
}

interface LockEntry {
  readonly version?: string;
  readonly integrity?: string;
}

const licenseFileName = /^(licen[cs]e|copying)([.-].*)?$/i;

/** The packages `outfile` holds (relative to `projectDir`, as in the metafile), sorted by path. */
export async function bundledPackages(
  metafile: Metafile,
  outfile: string,
  projectDir: string,
): Promise<BundledPackage[]> {
  const output = metafile.outputs[outfile];
  if (output === undefined) {
    const known = Object.keys(metafile.outputs).join(', ');
    throw new Error(`the metafile has no output ${outfile} (it has: ${known || 'none'})`);
  }
  const paths = new Set<string>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const path = packagePath(input);
    if (path !== undefined && bytesInOutput > 0) paths.add(path);
  }
  const lock = JSON.parse(await readFile(join(projectDir, 'package-lock.json'), 'utf8')) as {
    packages?: Record<string, LockEntry>;
  };
  const packages: BundledPackage[] = [];
  for (const path of [...paths].sort()) {
    packages.push(await describePackage(projectDir, path, lock.packages?.[path]));
  }
  return packages;
}

/** `node_modules/a/node_modules/@s/b/lib/x.js` → `node_modules/a/node_modules/@s/b`. */
export function packagePath(input: string): string | undefined {
  const marker = 'node_modules/';
  const at = input.lastIndexOf(marker);
  if (at === -1 || input.includes(':')) return undefined; // a plugin's namespace, not a file
  const segments = input.slice(at + marker.length).split('/');
  const nameLength = segments[0]?.startsWith('@') ? 2 : 1;
  if (segments.length <= nameLength) return undefined;
  return input.slice(0, at + marker.length) + segments.slice(0, nameLength).join('/');
}

async function describePackage(
  projectDir: string,
  path: string,
  locked: LockEntry | undefined,
): Promise<BundledPackage> {
  const dir = join(projectDir, path);
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
    name?: string;
    version?: string;
    license?: unknown;
  };
  const name = manifest.name ?? path.slice(path.lastIndexOf('node_modules/') + 13);
  if (locked?.version === undefined) {
    throw new Error(
      `${name} (${path}) is in the bundle but not in package-lock.json: bundle only locked packages (npm install, then npm ci)`,
    );
  }
  if (manifest.version !== locked.version) {
    throw new Error(
      `${path} is ${name}@${manifest.version}, but package-lock.json locks ${locked.version}: run npm ci`,
    );
  }
  const license = manifest.license;
  if (typeof license !== 'string' || !isPermissive(license)) {
    throw new Error(
      `${name}@${locked.version} has the licence ${JSON.stringify(license ?? null)}, expected an SPDX expression of ${[...permissiveLicenses].join(', ')}: decide whether it may be bundled, then add it to scripts/supply-chain/allowed-licenses.ts`,
    );
  }
  const licenseFiles = (await readdir(dir)).filter((file) => licenseFileName.test(file)).sort();
  if (licenseFiles.length === 0) {
    throw new Error(
      `${name}@${locked.version} (${path}) has no LICENSE, LICENCE or COPYING file, so its licence text cannot travel with the bundle`,
    );
  }
  const texts = await Promise.all(licenseFiles.map((file) => readFile(join(dir, file), 'utf8')));
  return {
    name,
    version: locked.version,
    path,
    license,
    licenseFiles,
    licenseText: texts.map((text) => text.trimEnd()).join('\n\n'),
    integrity: locked.integrity,
  };
}
