import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeTerminationMessage } from '../../src/process/termination-log.ts';

describe('writeTerminationMessage', () => {
  it('writes into an existing file, truncating it, and never creates one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'termlog-'));
    try {
      const path = join(dir, 'termination-log');
      assert.equal(await writeTerminationMessage(path, 'exit 5'), false);
      await assert.rejects(stat(path), { code: 'ENOENT' });
      await writeFile(path, 'an older and much longer message');
      assert.equal(await writeTerminationMessage(path, 'exit 5'), true);
      assert.equal(await readFile(path, 'utf8'), 'exit 5');
      await writeTerminationMessage(path, 'x'.repeat(10_000));
      assert.equal((await readFile(path)).length, 4096);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
