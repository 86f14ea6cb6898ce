// scripts/supply-chain/allowed-licenses.ts: which SPDX expressions may be bundled.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPermissive } from '../../../scripts/supply-chain/allowed-licenses.ts';

describe('isPermissive', () => {
  it('takes a permissive id, an OR with one permissive side, an AND of permissive ids', () => {
    for (const expression of ['MIT', 'ISC', '(MIT OR GPL-3.0-only)', 'Apache-2.0 AND MIT']) {
      assert.equal(isPermissive(expression), true, expression);
    }
  });

  it('refuses copyleft, unknown ids, an AND with a copyleft side, and what it cannot parse', () => {
    for (const expression of [
      'GPL-3.0-only',
      'AGPL-3.0-or-later',
      'LGPL-2.1-only',
      'SEE LICENSE IN LICENSE.txt',
      'UNLICENSED',
      'MIT AND GPL-2.0-only',
      'Apache-2.0 WITH LLVM-exception',
      '(MIT AND (BSD-3-Clause OR ISC))',
      '',
    ]) {
      assert.equal(isPermissive(expression), false, expression);
    }
  });
});
