import assert from 'node:assert/strict';
import { readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  abandonedAfterMs,
  removeAbandonedTempFiles,
} from '../../src/artifact/abandoned-temp-files.ts';
import { TempArtifact } from '../../src/artifact/temp-artifact.ts';
import { makeTempDir } from '../helpers/tmp.ts';

/** Sets a file's modification time `ageMs` into the past, as if nobody had touched it since. */
async function age(path: string, ageMs: number): Promise<void> {
  const then = new Date(Date.now() - ageMs);
  await utimes(path, then, then);
}

describe('removeAbandonedTempFiles', () => {
  it('removes only temp files of this target unchanged for longer than the bound', async () => {
    await using dir = await makeTempDir('abandoned-');
    const target = join(dir.path, 'app.jar');
    const names = {
      abandoned: '.app.jar.0123456789abcdef.partial',
      live: '.app.jar.fedcba9876543210.partial',
      otherTarget: '.other.jar.0123456789abcdef.partial',
      unrelated: 'keep.txt',
    };
    for (const name of Object.values(names)) await writeFile(join(dir.path, name), 'x');
    await age(join(dir.path, names.abandoned), abandonedAfterMs + 1000);
    await age(join(dir.path, names.otherTarget), abandonedAfterMs + 1000);
    await age(join(dir.path, names.live), abandonedAfterMs - 10_000);

    const sweep = await removeAbandonedTempFiles(target);

    assert.deepEqual(sweep, { removed: [names.abandoned], inUse: [names.live] });
    assert.deepEqual(
      (await readdir(dir.path)).sort(),
      [names.live, names.otherTarget, names.unrelated].sort(),
    );
  });

  it('never removes the file of a live TempArtifact, however long it stays silent', async () => {
    await using dir = await makeTempDir('abandoned-');
    const target = join(dir.path, 'app.jar');
    const temp = await TempArtifact.create(target, { heartbeatMs: 50 });
    await temp.append([Buffer.from('first bytes')]);
    // As if its last write were long ago: the heartbeat alone must make it recent again.
    await age(temp.path, 10 * 60_000);
    // A 50 ms heartbeat: poll for its refresh rather than guess how long a busy machine needs.
    let ageMs = Number.POSITIVE_INFINITY;
    for (const startedAt = Date.now(); Date.now() - startedAt < 5_000; await sleep(25)) {
      ageMs = Date.now() - (await stat(temp.path)).mtimeMs;
      if (ageMs < 5_000) break;
    }
    assert.ok(ageMs < 5_000, `the heartbeat did not refresh the file in 5 s: ${ageMs} ms old`);

    const sweep = await removeAbandonedTempFiles(target);
    assert.deepEqual(sweep.removed, []);
    assert.equal(sweep.inUse.length, 1);
    await temp.append([Buffer.from(', and more')]);
    assert.equal(temp.bytesWritten, 'first bytes, and more'.length);
    await temp.discard();
  });

  it('a missing folder is nothing to sweep', async () => {
    await using dir = await makeTempDir('abandoned-');
    assert.deepEqual(await removeAbandonedTempFiles(join(dir.path, 'none', 'app.jar')), {
      removed: [],
      inUse: [],
    });
  });
});
