import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readSmallFile } from '../../src/process/small-file.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const about = {
  holding: 'a Docker config.json',
  tooLargeFor: 'a Docker config.json',
  maxBytes: 16,
};

describe('readSmallFile', () => {
  it('reads a regular file of at most maxBytes', async () => {
    await using dir = await makeTempDir();
    const path = join(dir.path, 'config.json');
    await writeFile(path, '{"auths":{}}');
    assert.equal(readSmallFile({ path, name: 'X (f)', ...about }).toString(), '{"auths":{}}');
  });

  it('refuses a FIFO without waiting for a writer, a folder, a device and a file too large, naming it', async () => {
    await using dir = await makeTempDir();
    const fifo = join(dir.path, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const folder = join(dir.path, 'folder');
    await mkdir(folder);
    const large = join(dir.path, 'large');
    await writeFile(large, 'x'.repeat(17));
    for (const [path, message] of [
      [fifo, 'X is a FIFO; expected a regular file holding a Docker config.json'],
      [folder, 'X is a folder; expected a regular file holding a Docker config.json'],
      ['/dev/zero', 'X is a device; expected a regular file holding a Docker config.json'],
      [large, 'X is 17 bytes, too large to hold a Docker config.json; expected at most 16 bytes'],
      [join(dir.path, 'missing'), 'cannot read X: no such file (is the Secret volume mounted?)'],
    ] as const) {
      assert.throws(() => readSmallFile({ path, name: 'X', ...about }), { message }, path);
    }
  });
});
