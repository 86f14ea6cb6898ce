// scripts/supply-chain/bundled-packages.ts, run on esbuild's real metafile of a small
// project of the test's own in a temp folder (the repository's node_modules is never
// touched): what the bundle holds is listed at its locked version with its licence
// text, and each way a package cannot be accounted for fails the build, naming it.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { build } from 'esbuild';
import { bundledPackages, packagePath } from '../../../scripts/supply-chain/bundled-packages.ts';
import { makeTempDir } from '../../helpers/tmp.ts';

interface FakePackage {
  readonly version: string;
  /** The package.json `license`; MIT unless given; null: no such field. */
  readonly license?: string | null;
  /** File name → text; LICENSE with an MIT line unless given. */
  readonly files?: Record<string, string>;
  /** The version package-lock.json records; the installed one unless given; null: not locked. */
  readonly locked?: string | null;
}

const packages: Record<string, FakePackage> = {
  'node_modules/plain': { version: '1.0.0' },
  'node_modules/@scope/scoped': {
    version: '2.0.0-rc.1',
    license: '(MIT OR Apache-2.0)',
    files: { 'LICENCE.md': 'the scoped licence', 'COPYING-APACHE': 'the apache notice' },
  },
  'node_modules/plain/node_modules/nested': { version: '3.0.0', license: 'ISC' },
  'node_modules/unused': { version: '4.0.0' },
};

const entry = [
  "import plain from 'plain';",
  "import scoped from '@scope/scoped';",
  'console.log(plain, scoped);',
].join('\n');

/** Writes the project (node_modules, package-lock.json, entry), bundles it, lists what it holds. */
async function listBundled(changes: Record<string, FakePackage> = {}) {
  await using tmp = await makeTempDir('bundled-packages-');
  const all = { ...packages, ...changes };
  const lockPackages: Record<string, object> = { '': { name: 'fixture' } };
  for (const [path, fake] of Object.entries(all)) {
    const name = path.slice(path.lastIndexOf('node_modules/') + 13);
    const main = name === 'plain' ? "module.exports = require('nested') + 1" : 'module.exports = 1';
    const files = {
      'package.json': JSON.stringify({
        name,
        version: fake.version,
        ...(fake.license === null ? {} : { license: fake.license ?? 'MIT' }),
        main: 'index.js',
      }),
      'index.js': main,
      ...(fake.files ?? { LICENSE: `MIT License for ${name}` }),
    };
    for (const [file, text] of Object.entries(files)) {
      await mkdir(dirname(join(tmp.path, path, file)), { recursive: true });
      await writeFile(join(tmp.path, path, file), text);
    }
    if (fake.locked !== null) {
      lockPackages[path] = { version: fake.locked ?? fake.version, integrity: `sha512-${name}` };
    }
  }
  await writeFile(
    join(tmp.path, 'package-lock.json'),
    JSON.stringify({ lockfileVersion: 3, packages: lockPackages }),
  );
  await writeFile(join(tmp.path, 'entry.mjs'), entry);
  const { metafile } = await build({
    absWorkingDir: tmp.path,
    entryPoints: ['entry.mjs'],
    outfile: 'out/bundle.mjs',
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return await bundledPackages(metafile, 'out/bundle.mjs', tmp.path);
}

async function failure(changes: Record<string, FakePackage>): Promise<string> {
  const error = await listBundled(changes).then(
    () => assert.fail('the packages were accepted'),
    (caught: unknown) => caught as Error,
  );
  return error.message;
}

describe('bundledPackages', () => {
  it('lists every package the bundle holds, scoped and nested, at its locked version, with its licence files', async () => {
    const listed = await listBundled();
    assert.deepEqual(
      listed.map(({ name, version, path, license, licenseFiles, integrity }) => ({
        name,
        version,
        path,
        license,
        licenseFiles,
        integrity,
      })),
      [
        {
          name: '@scope/scoped',
          version: '2.0.0-rc.1',
          path: 'node_modules/@scope/scoped',
          license: '(MIT OR Apache-2.0)',
          licenseFiles: ['COPYING-APACHE', 'LICENCE.md'],
          integrity: 'sha512-@scope/scoped',
        },
        {
          name: 'plain',
          version: '1.0.0',
          path: 'node_modules/plain',
          license: 'MIT',
          licenseFiles: ['LICENSE'],
          integrity: 'sha512-plain',
        },
        {
          name: 'nested',
          version: '3.0.0',
          path: 'node_modules/plain/node_modules/nested',
          license: 'ISC',
          licenseFiles: ['LICENSE'],
          integrity: 'sha512-nested',
        },
      ],
      'node_modules/unused is installed but not imported: not listed',
    );
    assert.equal(listed[0]?.licenseText, 'the apache notice\n\nthe scoped licence');
  });

  it('fails, naming the package, when a bundled package has no licence file', async () => {
    const message = await failure({ 'node_modules/plain': { version: '1.0.0', files: {} } });
    assert.match(
      message,
      /^plain@1\.0\.0 \(node_modules\/plain\) has no LICENSE, LICENCE or COPYING file/,
    );
  });

  it('fails, naming the package and its licence, when the licence is not on the allow-list', async () => {
    const message = await failure({
      'node_modules/plain/node_modules/nested': { version: '3.0.0', license: 'GPL-3.0-only' },
    });
    assert.match(
      message,
      /^nested@3\.0\.0 has the licence "GPL-3\.0-only", expected an SPDX expression of /,
    );
    assert.match(message, /allowed-licenses\.ts/);
  });

  it('fails, naming the package, when a bundled package declares no licence', async () => {
    const message = await failure({ 'node_modules/plain': { version: '1.0.0', license: null } });
    assert.match(message, /^plain@1\.0\.0 has the licence null, expected an SPDX expression of /);
  });

  it('fails when the installed version is not the locked one', async () => {
    const message = await failure({ 'node_modules/plain': { version: '1.0.1', locked: '1.0.0' } });
    assert.equal(
      message,
      'node_modules/plain is plain@1.0.1, but package-lock.json locks 1.0.0: run npm ci',
    );
  });

  it('fails when a bundled package is not in the lockfile', async () => {
    const message = await failure({
      'node_modules/@scope/scoped': { version: '2.0.0', locked: null },
    });
    assert.match(
      message,
      /^@scope\/scoped \(node_modules\/@scope\/scoped\) is in the bundle but not in package-lock\.json/,
    );
  });
});

describe('packagePath', () => {
  it('maps an input to its package folder; a plugin namespace or a bare folder to none', () => {
    assert.equal(packagePath('node_modules/undici/lib/core/util.js'), 'node_modules/undici');
    assert.equal(
      packagePath('node_modules/a/node_modules/@s/b/x.js'),
      'node_modules/a/node_modules/@s/b',
    );
    assert.equal(packagePath('src/cli.ts'), undefined);
    assert.equal(packagePath('lazy-undici-h2:client-h2'), undefined);
    assert.equal(packagePath('node_modules/@s/b'), undefined);
  });
});
