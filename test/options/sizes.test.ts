import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseByteCount, parseByteSize } from '../../src/options/sizes.ts';

describe('parseByteCount (a variable named ..._BYTES or ..._SIZE, and sign --size: digits only)', () => {
  it('reads a positive safe integer', () => {
    assert.equal(parseByteCount('52428800'), 52_428_800);
    assert.equal(parseByteCount(String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
  });

  for (const [raw, expected] of [
    ['0', 'a positive number of bytes'],
    ['64MiB', 'a positive whole number of bytes, digits only (e.g. 52428800)'],
    [' 10', 'a positive whole number of bytes, digits only (e.g. 52428800)'],
    ['1e6', 'a positive whole number of bytes, digits only (e.g. 52428800)'],
    [String(2n ** 60n), `at most ${Number.MAX_SAFE_INTEGER} bytes`],
  ] as const) {
    it(`refuses ${JSON.stringify(raw)}: expected ${expected}`, () => {
      assert.throws(() => parseByteCount(raw), {
        message: `expected ${expected}, got ${JSON.stringify(raw)}`,
      });
    });
  }
});

describe('parseByteSize (a flag: a unit allowed)', () => {
  for (const [raw, bytes] of [
    ['41943040', 41_943_040],
    ['40MiB', 40 * 1024 ** 2],
    ['40mib', 40 * 1024 ** 2],
    ['40M', 40_000_000],
    ['40MB', 40_000_000],
    ['2KiB', 2048],
    ['1G', 1e9],
    ['7b', 7],
    ['40 MiB', 40 * 1024 ** 2],
  ] as const) {
    it(`reads ${JSON.stringify(raw)} as ${bytes} bytes`, () =>
      assert.equal(parseByteSize(raw), bytes));
  }

  for (const raw of ['fast', '0', '0MiB', '1.5M', '40T', '-1', '']) {
    it(`refuses ${JSON.stringify(raw)}`, () => {
      assert.throws(() => parseByteSize(raw), {
        message: /^expected a positive size such as 41943040, 40MiB or 40M, got /,
      });
    });
  }
});
