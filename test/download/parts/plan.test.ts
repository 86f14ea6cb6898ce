import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Part, partSizeBytes } from '../../../src/download/parts/part.ts';
import { partCountFor, planParts } from '../../../src/download/parts/plan.ts';

/** The parts cover 0..size-1 in order, without gap or overlap. */
function assertTiles(parts: Part[], sizeBytes: number): void {
  let next = 0;
  parts.forEach((part, index) => {
    assert.equal(part.index, index);
    assert.equal(part.firstByte, next, `part ${index} starts where the previous one ended`);
    assert.ok(part.lastByte >= part.firstByte, `part ${index} is not empty`);
    next = part.lastByte + 1;
  });
  assert.equal(next, sizeBytes);
}

describe('planParts', () => {
  it('splits evenly when the size divides', () => {
    assert.deepEqual(planParts(1024 * 1024, 4), [
      { index: 0, firstByte: 0, lastByte: 262_143 },
      { index: 1, firstByte: 262_144, lastByte: 524_287 },
      { index: 2, firstByte: 524_288, lastByte: 786_431 },
      { index: 3, firstByte: 786_432, lastByte: 1_048_575 },
    ]);
  });

  for (const [size, count] of [
    [10, 3],
    [1000, 7],
    [67_108_865, 16],
    [Number.MAX_SAFE_INTEGER, 16],
    [Number.MAX_SAFE_INTEGER - 5, 3],
  ] as const) {
    it(`${size} bytes in ${count} parts: contiguous, sizes within one byte`, () => {
      const parts = planParts(size, count);
      assert.equal(parts.length, count);
      assertTiles(parts, size);
      const sizes = parts.map(partSizeBytes);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, sizes.join(','));
    });
  }

  it('never makes more parts than bytes, nor fewer than one', () => {
    assert.equal(planParts(3, 16).length, 3);
    assertTiles(planParts(3, 16), 3);
    assert.deepEqual(planParts(5, 1), [{ index: 0, firstByte: 0, lastByte: 4 }]);
  });
});

describe('partCountFor', () => {
  it('gives each connection up to four parts of at least 8 MiB, and never fewer parts than connections', () => {
    const mib = 1024 * 1024;
    const cases: [number, number, number][] = [
      [1 * mib, 4, 4],
      [64 * mib, 4, 8],
      [256 * mib, 8, 32],
      [1024 * mib, 4, 16],
      [4096 * mib, 16, 64],
      [20 * mib, 2, 3],
    ];
    for (const [size, connections, parts] of cases) {
      assert.equal(partCountFor(size, connections), parts, `${size / mib} MiB on ${connections}`);
    }
  });
});
