import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeTerminationMessage } from '../../src/process/termination-log.ts';
import { makeTempDir } from '../helpers/tmp.ts';

/** Whatever the FIFO's reader end holds now (it is non-blocking: nothing waits). */
function drain(fd: number): string {
  const buffer = Buffer.alloc(8192);
  try {
    return buffer.subarray(0, readSync(fd, buffer)).toString();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return '';
    throw error;
  }
}

describe('writeTerminationMessage', () => {
  it('writes into an existing file, truncating it, and never creates one', async () => {
    await using tmp = await makeTempDir('termlog-');
    const path = join(tmp.path, 'termination-log');
    assert.deepEqual(writeTerminationMessage(path, 'exit 5'), {
      written: false,
      skipped: undefined,
    });
    await assert.rejects(stat(path), { code: 'ENOENT' });
    await writeFile(path, 'an older and much longer message');
    assert.deepEqual(writeTerminationMessage(path, 'exit 5'), {
      written: true,
      skipped: undefined,
    });
    assert.equal(await readFile(path, 'utf8'), 'exit 5');
    writeTerminationMessage(path, 'x'.repeat(10_000));
    assert.equal((await readFile(path)).length, 4096);
  });

  // A time limit, so the old blocking open fails the test instead of hanging it.
  it('never waits on a FIFO: without a reader it is skipped at once, naming it', {
    timeout: 5_000,
  }, async () => {
    await using tmp = await makeTempDir('termlog-');
    const fifo = join(tmp.path, 'termination-log');
    execFileSync('mkfifo', [fifo]);
    assert.deepEqual(writeTerminationMessage(fifo, 'exit 5'), {
      written: false,
      skipped: `${fifo} is a FIFO with no reader; expected a regular file`,
    });
  });

  it('writes nothing into a FIFO that has a reader, and says it is one', {
    timeout: 5_000,
  }, async () => {
    await using tmp = await makeTempDir('termlog-');
    const fifo = join(tmp.path, 'termination-log');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const result = writeTerminationMessage(fifo, 'exit 5');
      assert.deepEqual(result, {
        written: false,
        skipped: `${fifo} is a FIFO; expected a regular file`,
      });
      assert.equal(drain(reader), '');
    } finally {
      closeSync(reader);
    }
  });

  it('leaves a device and a folder alone, naming what they are', async () => {
    await using tmp = await makeTempDir('termlog-');
    const folder = join(tmp.path, 'termination-log');
    await mkdir(folder);
    assert.deepEqual(writeTerminationMessage('/dev/null', 'exit 5'), {
      written: false,
      skipped: '/dev/null is a device; expected a regular file',
    });
    assert.deepEqual(writeTerminationMessage(folder, 'exit 5'), {
      written: false,
      skipped: `${folder} is a folder; expected a regular file`,
    });
  });
});
