// process/files.ts stands in for node:fs/promises in the loader's run: the same
// results, and the same errors (write-errors.ts reads their code, syscall and path).
import assert from 'node:assert/strict';
import * as promises from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as files from '../../src/process/files.ts';
import { makeTempDir, type TempDir } from '../helpers/tmp.ts';

let tmp: TempDir;
before(async () => {
  tmp = await makeTempDir('files-');
});
after(async () => {
  await tmp.cleanup();
});

/** What an error says that the loader reads, or the value when there was none. */
async function outcome(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
    return 'fulfilled';
  } catch (error) {
    const { code, syscall, path, errno } = error as NodeJS.ErrnoException;
    return { code, syscall, path, errno, constructor: (error as Error).constructor.name };
  }
}

describe('process/files', () => {
  it('fails as node:fs/promises does, code, syscall and path alike', async () => {
    const missing = join(tmp.path, 'missing', 'app.jar');
    await promises.writeFile(join(tmp.path, 'taken'), '');
    const cases: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
      ['open', () => files.open(missing, 'r'), () => promises.open(missing, 'r')],
      [
        'open wx',
        () => files.open(join(tmp.path, 'taken'), 'wx'),
        () => promises.open(join(tmp.path, 'taken'), 'wx'),
      ],
      ['lstat', () => files.lstat(missing), () => promises.lstat(missing)],
      ['access', () => files.access(missing), () => promises.access(missing)],
      ['readdir', () => files.readdir(missing), () => promises.readdir(missing)],
      ['readFile', () => files.readFile(missing, 'utf8'), () => promises.readFile(missing, 'utf8')],
      ['unlink', () => files.unlink(missing), () => promises.unlink(missing)],
      [
        'rename',
        () => files.rename(missing, `${missing}.2`),
        () => promises.rename(missing, `${missing}.2`),
      ],
      [
        'lutimes',
        () => files.lutimes(missing, new Date(0), new Date(0)),
        () => promises.lutimes(missing, new Date(0), new Date(0)),
      ],
    ];
    for (const [name, ours, node] of cases) {
      const expected = await outcome(node());
      assert.notEqual(expected, 'fulfilled', name);
      assert.deepEqual(await outcome(ours()), expected, name);
    }
  });

  it('writes, reads, syncs and stats an open file', async () => {
    const path = join(tmp.path, 'written');
    const file = await files.open(path, 'wx+', 0o600);
    try {
      const chunks = [Buffer.from('hello '), Buffer.from('world')];
      assert.equal((await file.writev(chunks, 0)).bytesWritten, 11);
      assert.equal((await file.write(Buffer.from('!'), 0, 1, 11)).bytesWritten, 1);
      await file.datasync();
      await file.sync();
      const buffer = Buffer.alloc(32);
      const { bytesRead, buffer: read } = await file.read(buffer, 0, 32, 6);
      assert.equal(read, buffer);
      assert.equal(buffer.subarray(0, bytesRead).toString(), 'world!');
      await file.chmod(0o644);
      const stats = await file.stat();
      assert.equal(stats.size, 12);
      assert.equal(stats.mode & 0o777, 0o644);
      await file.utimes(new Date(1_000_000), new Date(2_000_000));
      assert.equal((await promises.stat(path)).mtimeMs, 2_000_000);
      await file.truncate(0);
      assert.equal((await file.stat()).size, 0);
    } finally {
      await file.close();
    }
    await assert.rejects(file.close(), { code: 'EBADF' });
  });

  it('reads a folder, a text file, and makes folders', async () => {
    const folder = join(tmp.path, 'a', 'b');
    await files.mkdir(folder, { recursive: true, mode: 0o755 });
    const record = join(folder, 'record.json');
    const file = await files.open(record, 'wx');
    await file.writeFile('{"format":1}\n');
    await file.close();
    assert.deepEqual(await files.readdir(folder), ['record.json']);
    assert.equal(await files.readFile(record, 'utf8'), '{"format":1}\n');
    await files.rename(record, `${record}.old`);
    assert.ok((await files.lstat(`${record}.old`)).isFile());
    await files.unlink(`${record}.old`);
    assert.deepEqual(await files.readdir(folder), []);
  });
});
