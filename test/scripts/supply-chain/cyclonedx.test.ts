// scripts/supply-chain/cyclonedx.ts: the SBOM document for a list of bundled packages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BundledPackage } from '../../../scripts/supply-chain/bundled-packages.ts';
import { cycloneDxBom, npmPurl, rootRef } from '../../../scripts/supply-chain/cyclonedx.ts';

const bundled = (name: string, version: string, license: string, integrity?: string) =>
  ({
    name,
    version,
    path: `node_modules/${name}`,
    license,
    licenseFiles: ['LICENSE'],
    licenseText: 'text',
    integrity,
  }) satisfies BundledPackage;

describe('cycloneDxBom', () => {
  const sha512 = Buffer.alloc(64, 0xab);
  const bom = cycloneDxBom(
    { name: 'runtime-loader', version: '1.2.3', license: 'Apache-2.0' },
    [
      bundled('plain-lib', '8.12.4', 'MIT', `sha512-${sha512.toString('base64')}`),
      bundled('@scope/lib', '1.0.0-rc.1', '(MIT OR Apache-2.0)'),
    ],
    [{ name: 'esbuild', version: '0.28.2' }],
  );

  it('is CycloneDX 1.6 with runtime-loader as the root component, without a package URL', () => {
    assert.equal(bom.bomFormat, 'CycloneDX');
    assert.equal(bom.specVersion, '1.6');
    assert.deepEqual(bom.metadata.component, {
      type: 'application',
      'bom-ref': rootRef,
      name: 'runtime-loader',
      version: '1.2.3',
      licenses: [{ license: { id: 'Apache-2.0' } }],
    });
    assert.ok(!('serialNumber' in bom), 'same sources, same bytes');
  });

  it('lists each package with its package URL, licence and tarball hash; the root depends on each', () => {
    assert.deepEqual(bom.components[0], {
      type: 'library',
      'bom-ref': 'pkg:npm/plain-lib@8.12.4',
      name: 'plain-lib',
      version: '8.12.4',
      purl: 'pkg:npm/plain-lib@8.12.4',
      licenses: [{ license: { id: 'MIT' } }],
      hashes: [{ alg: 'SHA-512', content: sha512.toString('hex') }],
    });
    assert.equal(bom.components[1]?.purl, 'pkg:npm/%40scope/lib@1.0.0-rc.1');
    assert.deepEqual(bom.components[1]?.licenses, [{ expression: '(MIT OR Apache-2.0)' }]);
    assert.equal(bom.components[1]?.hashes, undefined, 'no integrity, no hash');
    assert.deepEqual(bom.dependencies[0], {
      ref: rootRef,
      dependsOn: ['pkg:npm/plain-lib@8.12.4', 'pkg:npm/%40scope/lib@1.0.0-rc.1'],
    });
  });

  it('encodes a version a package URL cannot hold raw', () => {
    assert.equal(npmPurl('a', '1.0.0+build.1'), 'pkg:npm/a@1.0.0%2Bbuild.1');
  });
});
