import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { editDistance, nearestName } from '../../src/options/nearest-name.ts';

describe('editDistance', () => {
  it('counts insertions, deletions, replacements and swapped neighbours as one edit each', () => {
    assert.equal(editDistance('SIZE', 'SIZE'), 0);
    assert.equal(editDistance('SIZES', 'SIZE'), 1);
    assert.equal(editDistance('SIZE', 'SIZES'), 1);
    assert.equal(editDistance('SIZE', 'SIXE'), 1);
    assert.equal(editDistance('SIZE', 'SZIE'), 1);
    assert.equal(editDistance('', 'ABC'), 3);
    assert.equal(editDistance('KITTEN', 'SITTING'), 3);
  });
});

describe('nearestName', () => {
  const known = ['LOADER_DEADLINE_SECONDS', 'LOADER_CONNECT_TIMEOUT_SECONDS', 'LOADER_LOG_FORMAT'];

  it('finds the typo, ignoring case, and calls it likely', () => {
    assert.deepEqual(nearestName('LOADER_DEADLINE_SECOND', known), {
      name: 'LOADER_DEADLINE_SECONDS',
      distance: 1,
      likely: true,
    });
    assert.equal(nearestName('loader_log_fromat', known)?.name, 'LOADER_LOG_FORMAT');
    assert.equal(nearestName('loader_log_fromat', known)?.likely, true);
  });

  it('still names the nearest of a name that is no typo, but not as likely', () => {
    const nearest = nearestName('LOADER_IMAGE', known);
    assert.equal(nearest?.likely, false);
    assert.ok(known.includes(nearest?.name ?? ''));
  });

  it('has nothing to offer from an empty list', () => {
    assert.equal(nearestName('X', []), undefined);
  });
});
