import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TempArtifact } from '../../src/artifact/temp-artifact.ts';
import { isTempNameFor } from '../../src/artifact/temp-name.ts';
import { WriteError } from '../../src/errors.ts';
import { publishAtomically } from '../../src/publish/publish.ts';

describe('TempArtifact and publishAtomically', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'publish-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes next to the target, hashes what it writes, publishes with mode 0644', async () => {
    const target = join(dir, 'app.jar');
    const temp = await TempArtifact.create(target);
    assert.ok(isTempNameFor(target, temp.path.slice(dir.length + 1)));
    await temp.append([Buffer.from('hello '), Buffer.from('world')]);
    assert.equal(temp.bytesWritten, 11);
    assert.equal(
      temp.digestHex(),
      'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9',
    );
    await publishAtomically(temp, target);
    assert.equal(await readFile(target, 'utf8'), 'hello world');
    assert.equal((await stat(target)).mode & 0o777, 0o644);
    assert.deepEqual(await readdir(dir), ['app.jar']);
  });

  it('publishes with the given modification time, whatever the heartbeat did', async (t) => {
    const target = join(dir, 'stable-mtime.jar');
    // The heartbeat's timer is the test's: it beats at every turn of the event loop while the
    // publish runs, so a beat falls between any two of its steps; the old order lost the stable time.
    t.mock.timers.enable({ apis: ['setInterval'] });
    const beat = () => t.mock.timers.tick(5);
    const temp = await TempArtifact.create(target, { heartbeatMs: 5 });
    await temp.append([Buffer.from('bytes of a JAR')]);
    beat();
    const modifiedAt = new Date('2010-01-01T00:00:00Z');
    let published = false;
    const publishing = publishAtomically(temp, target, {
      modifiedAt,
      record: {
        format: 1,
        url: 'https://artifacts.example.com/stable-mtime.jar',
        sizeBytes: 14,
        sha256: createHash('sha256').update('bytes of a JAR').digest('hex'),
        jarCheck: 'off',
        verifiedAt: new Date().toISOString(),
        loaderVersion: '0.1.0',
      },
    }).finally(() => {
      published = true;
    });
    while (!published) {
      beat();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await publishing;
    assert.equal((await stat(target)).mtimeMs, modifiedAt.getTime());
    beat();
    assert.equal((await stat(target)).mtimeMs, modifiedAt.getTime(), 'no beat after the publish');
  });

  it('reset starts the file and its digest again', async () => {
    const target = join(dir, 'reset.jar');
    const temp = await TempArtifact.create(target);
    await temp.append([Buffer.from('stale bytes')]);
    await temp.reset();
    await temp.append([Buffer.from('hello world')]);
    assert.equal(
      temp.digestHex(),
      'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9',
    );
    await publishAtomically(temp, target);
    assert.equal(await readFile(target, 'utf8'), 'hello world');
  });

  it('keeps file and digest whole across background syncs, reset and discard', async () => {
    const target = join(dir, 'large.jar');
    const mib = Buffer.alloc(1024 * 1024, 7);
    const temp = await TempArtifact.create(target);
    // Past the background-sync interval (32 MiB) twice, with a reset in between.
    for (let i = 0; i < 40; i += 1) await temp.append([mib]);
    await temp.reset();
    const expected = createHash('sha256');
    for (let i = 0; i < 70; i += 1) {
      const chunk = Buffer.alloc(1024 * 1024, i);
      expected.update(chunk);
      await temp.append([chunk]);
    }
    assert.equal(temp.digestHex(), expected.digest('hex'));
    await publishAtomically(temp, target);
    assert.equal((await stat(target)).size, 70 * 1024 * 1024);

    const discarded = await TempArtifact.create(join(dir, 'discarded.jar'));
    for (let i = 0; i < 33; i += 1) await discarded.append([mib]);
    await discarded.discard();
    assert.equal((await readdir(dir)).includes(basename(discarded.path)), false);
  });

  it('replaces a symlink at the target instead of following it', async () => {
    const victim = join(dir, 'victim.txt');
    await writeFile(victim, 'do not touch');
    const target = join(dir, 'linked.jar');
    await symlink(victim, target);
    const temp = await TempArtifact.create(target);
    await temp.append([Buffer.from('new')]);
    await publishAtomically(temp, target);
    assert.equal(await readFile(victim, 'utf8'), 'do not touch');
    assert.equal((await stat(target)).isFile(), true);
    assert.equal(await readFile(target, 'utf8'), 'new');
  });

  it('a temp file removed by someone else while open fails as a write error that says so', async () => {
    const sub = await mkdtemp(join(dir, 'removed-'));
    const target = join(sub, 'app.jar');
    const temp = await TempArtifact.create(target);
    await temp.append([Buffer.from('bytes')]);
    await unlink(temp.path);
    await assert.rejects(publishAtomically(temp, target), (error: unknown) => {
      assert.ok(error instanceof WriteError, String(error));
      assert.match(
        error.message,
        /temp file .*\.partial was removed while this run was writing it/,
      );
      return true;
    });
    assert.deepEqual(await readdir(sub), []);
  });

  it('discard leaves nothing behind', async () => {
    const sub = await mkdtemp(join(dir, 'discard-'));
    const temp = await TempArtifact.create(join(sub, 'app.jar'));
    await temp.append([Buffer.from('bytes')]);
    await temp.discard();
    await temp.discard();
    assert.deepEqual(await readdir(sub), []);
  });
});
