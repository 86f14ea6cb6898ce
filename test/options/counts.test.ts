import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseCount,
  parsePort,
  parsePositiveInt,
  parsePositiveIntUpTo,
} from '../../src/options/counts.ts';

describe('whole-number parsers', () => {
  it('parsePositiveInt: digits only, at least 1', () => {
    assert.equal(parsePositiveInt('8'), 8);
    for (const raw of ['0', '-1', '2.5', ' 8', 'eight', '']) {
      assert.throws(() => parsePositiveInt(raw), {
        message: /^expected a positive whole number, got /,
      });
    }
  });

  it('parsePositiveIntUpTo: from 1 to its maximum', () => {
    const upTo16 = parsePositiveIntUpTo(16);
    assert.equal(upTo16('1'), 1);
    assert.equal(upTo16('16'), 16);
    for (const raw of ['0', '17', '2.5', '-1', 'four', '']) {
      assert.throws(() => upTo16(raw), { message: /^expected a whole number from 1 to 16, got / });
    }
  });

  it('parseCount: at most six digits, spaces around allowed', () => {
    assert.equal(parseCount('32'), 32);
    assert.equal(parseCount(' 999999 '), 999_999);
    for (const raw of ['0', '1000000', 'many', '3.5', '']) {
      assert.throws(() => parseCount(raw), {
        message: /^expected a whole number from 1 to 999999, got /,
      });
    }
  });

  it('parsePort: 0 to 65535', () => {
    assert.equal(parsePort('0'), 0);
    assert.equal(parsePort('65535'), 65_535);
    for (const raw of ['65536', '70000', '-1', 'http', ' 80', '']) {
      assert.throws(() => parsePort(raw), { message: /^expected 0-65535, got / });
    }
  });
});
