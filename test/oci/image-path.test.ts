import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseImageFilePath } from '../../src/oci/image-path.ts';

describe('parseImageFilePath', () => {
  it('returns the path relative to the root, however it is written', () => {
    for (const raw of ['/app.jar', 'app.jar', './app.jar', '//app.jar'])
      assert.equal(parseImageFilePath(raw), 'app.jar', raw);
    assert.equal(parseImageFilePath('/opt/./service//app.jar'), 'opt/service/app.jar');
  });

  it('refuses a folder, "..", a whiteout name or NUL, saying what it expected', () => {
    assert.throws(
      () => parseImageFilePath('/opt/'),
      /expected the path of a file in the image, such as \/app\.jar, got "\/opt\/"/,
    );
    assert.throws(() => parseImageFilePath('/'), /expected the path of a file/);
    assert.throws(() => parseImageFilePath(''), /got an empty value/);
    assert.throws(() => parseImageFilePath('/opt/../app.jar'), /without "\.\." parts/);
    assert.throws(() => parseImageFilePath('/.wh.app.jar'), /without "\.wh\." names/);
    assert.throws(() => parseImageFilePath('/app\0.jar'), /NUL byte/);
  });
});
