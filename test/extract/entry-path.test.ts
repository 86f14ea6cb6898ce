import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entryPathOf, relationOf } from '../../src/extract/entry-path.ts';

describe('entryPathOf', () => {
  it('cleans a tar entry name as docker does before applying a layer', () => {
    assert.equal(entryPathOf('./app.jar'), 'app.jar');
    assert.equal(entryPathOf('/app.jar'), 'app.jar');
    assert.equal(entryPathOf('opt//x/../app.jar'), 'opt/app.jar');
    assert.equal(entryPathOf('./'), '');
    assert.equal(entryPathOf('opt/'), 'opt');
    assert.equal(entryPathOf('../app.jar'), undefined);
    assert.equal(entryPathOf('a/../../app.jar'), undefined);
  });
});

describe('relationOf', () => {
  it('finds the target, its whiteouts and its parents', () => {
    const target = 'opt/app/app.jar';
    assert.equal(relationOf('opt/app/app.jar', target), 'target');
    assert.equal(relationOf('opt/app/.wh.app.jar', target), 'whiteout');
    assert.equal(relationOf('opt/.wh.app', target), 'whiteout', 'a removed parent folder');
    assert.equal(relationOf('opt/app/.wh..wh..opq', target), 'whiteout', 'an opaque folder');
    assert.equal(relationOf('.wh..wh..opq', target), 'whiteout', 'an opaque root');
    assert.equal(relationOf('opt', target), 'parent');
    assert.equal(relationOf('opt/app', target), 'parent');
  });

  it('ignores look-alikes and other folders', () => {
    const target = 'opt/app.jar';
    for (const path of [
      'opt/app.jar.bak',
      'opt/.wh.app.jar.bak',
      'opt/app.ja',
      'op',
      'other/.wh..wh..opq',
      'opt/sub/.wh..wh..opq',
      'opt/.wh..wh.plnk',
      'optx/app.jar',
      '',
    ])
      assert.equal(relationOf(path, target), 'unrelated', path);
  });
});
