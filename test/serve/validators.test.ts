import assert from 'node:assert/strict';
import { rename, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { validatorsFor } from '../../src/serve/validators.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const modified = new Date('2026-11-24T10:00:00.250Z');

describe('validatorsFor', () => {
  it('gives a strong ETag that stays the same for an unchanged file', async () => {
    await using tmp = await makeTempDir('validators-');
    const file = join(tmp.path, 'app.jar');
    await writeFile(file, 'version one');
    const now = new Date();
    const first = validatorsFor(await stat(file, { bigint: true }), now);
    assert.match(first.etag, /^"[0-9a-z]+-[0-9a-z]+-[0-9a-z]+"$/, 'strong: quoted, no W/');
    assert.deepEqual(validatorsFor(await stat(file, { bigint: true }), now), first);
  });

  it('changes the ETag when the file is rewritten in place or replaced by a rename', async () => {
    await using tmp = await makeTempDir('validators-');
    const file = join(tmp.path, 'app.jar');
    await writeFile(file, 'version one');
    await utimes(file, modified, modified);
    const now = new Date();
    const original = validatorsFor(await stat(file, { bigint: true }), now).etag;
    // Same size and the same modification time, only a new inode: still a new tag.
    const replacement = join(tmp.path, 'next.jar');
    await writeFile(replacement, 'version two');
    await utimes(replacement, modified, modified);
    await rename(replacement, file);
    const replaced = validatorsFor(await stat(file, { bigint: true }), now).etag;
    assert.notEqual(replaced, original);
    // Same inode and size, another modification time: a new tag again.
    await writeFile(file, 'version 3!!');
    await utimes(file, modified, new Date(modified.getTime() + 1));
    assert.notEqual(validatorsFor(await stat(file, { bigint: true }), now).etag, replaced);
  });

  it('dates Last-Modified to the second, strong only once the file is a second old', async () => {
    await using tmp = await makeTempDir('validators-');
    const file = join(tmp.path, 'app.jar');
    await writeFile(file, 'bytes');
    await utimes(file, modified, modified);
    const stats = await stat(file, { bigint: true });
    const fresh = validatorsFor(stats, new Date(modified.getTime() + 999));
    assert.equal(fresh.lastModified, 'Tue, 24 Nov 2026 10:00:00 GMT');
    assert.equal(fresh.lastModifiedIsStrong, false, 'changed within the last second');
    assert.equal(
      validatorsFor(stats, new Date(modified.getTime() + 1000)).lastModifiedIsStrong,
      true,
    );
  });
});
