// scripts/supply-chain/third-party-licenses.ts: the text of THIRD-PARTY-LICENSES.txt.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BundledPackage } from '../../../scripts/supply-chain/bundled-packages.ts';
import { thirdPartyLicensesText } from '../../../scripts/supply-chain/third-party-licenses.ts';

const own = { name: 'runtime-loader', license: 'Apache-2.0' };

describe('thirdPartyLicensesText', () => {
  it('says that no third-party package is bundled when none is, and has no section', () => {
    const text = thirdPartyLicensesText('runtime-loader.mjs', own, []);
    assert.equal(
      text,
      'No third-party package is bundled into runtime-loader.mjs: it runs on the Node.js runtime alone.\nruntime-loader itself is licensed under Apache-2.0 (LICENSE).\n\n',
    );
  });

  it('has a section per package: name, version, licence, the files and their text', () => {
    const bundled: BundledPackage = {
      name: 'plain-lib',
      version: '1.2.3',
      path: 'node_modules/plain-lib',
      license: 'MIT',
      licenseFiles: ['LICENSE'],
      licenseText: 'MIT License for plain-lib',
      integrity: undefined,
    };
    const text = thirdPartyLicensesText('runtime-loader.mjs', own, [bundled]);
    assert.match(text, /^Third-party software bundled into runtime-loader\.mjs: 1 package\(s\)\./);
    assert.match(
      text,
      /\nplain-lib 1\.2\.3 \(MIT\)\nnode_modules\/plain-lib\/LICENSE\n=+\n\nMIT License for plain-lib\n/,
    );
  });
});
