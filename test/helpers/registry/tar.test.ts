// Tests for the tar writer: GNU tar (an independent reader) lists and extracts what it writes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { makeTempDir, randomBytesBuffer } from '../tmp.ts';
import { writeTar } from './tar.ts';

const run = promisify(execFile);

/** Writes `archive`, lists it verbosely with GNU tar and extracts it (as a non-root-owned copy). */
async function throughGnuTar(archive: Buffer) {
  const temp = await makeTempDir('registry-tar-');
  const file = join(temp.path, 'layer.tar');
  await writeFile(file, archive);
  const out = join(temp.path, 'out');
  await run('mkdir', [out]);
  const { stdout: listing } = await run('tar', ['--numeric-owner', '--full-time', '-tvf', file]);
  await run('tar', ['--no-same-owner', '-C', out, '-xf', file]);
  return { out, listing, [Symbol.asyncDispose]: temp.cleanup };
}

test('one file, as docker and buildah write it: ustar, root-owned, 0644, two zero blocks at the end', async () => {
  const jar = randomBytesBuffer(1500);
  const archive = writeTar([{ name: 'app.jar', data: jar }]);
  assert.equal(archive.length, 512 + 1536 + 1024, 'header, data padded to blocks, end marker');
  assert.equal(archive.subarray(257, 265).toString('latin1'), 'ustar\u000000');
  assert.deepEqual(archive.subarray(-1024), Buffer.alloc(1024));

  await using tar = await throughGnuTar(archive);
  assert.match(tar.listing, /^-rw-r--r-- 0\/0 +1500 2024-01-02 03:04:05 app\.jar\n$/);
  assert.deepEqual(await readFile(join(tar.out, 'app.jar')), jar);
});

test('names as given (./app.jar), directories, symlinks, owner names and file-type bits in the mode', async () => {
  const jar = Buffer.from('PK\u0003\u0004 not really a jar');
  const archive = writeTar([
    { name: 'app/', type: 'directory', mode: 0o40755 },
    { name: './app/app.jar', data: jar, mode: 0o100640, uid: 1000, gid: 1000 },
    { name: 'app/latest.jar', type: 'symlink', linkName: 'app.jar', uname: 'root', gname: 'root' },
  ]);
  await using tar = await throughGnuTar(archive);
  const lines = tar.listing.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^drwxr-xr-x 0\/0 +0 .* app\/$/);
  assert.match(lines[1] ?? '', /^-rw-r----- 1000\/1000 +\d+ .* \.\/app\/app\.jar$/);
  assert.match(lines[2] ?? '', /^lrwxrwxrwx 0\/0 +0 .* app\/latest\.jar -> app\.jar$/);
  assert.deepEqual(await readFile(join(tar.out, 'app/app.jar')), jar);
  assert.equal(await readlink(join(tar.out, 'app/latest.jar')), 'app.jar');
  assert.equal((await lstat(join(tar.out, 'app/app.jar'))).mode & 0o777, 0o640);
  // The owner names are in the header even though --numeric-owner hides them.
  assert.equal(archive.subarray(3 * 512 + 265, 3 * 512 + 269).toString(), 'root');
});

test('a long name is split into prefix and name, or moved into a PAX record; PAX records pass through', async () => {
  const splittable = `${'d'.repeat(120)}/app.jar`;
  const unsplittable = `${'x'.repeat(130)}.jar`;
  const accented = 'dépôt/app.jar';
  const archive = writeTar([
    { name: splittable, data: Buffer.from('one') },
    { name: unsplittable, data: Buffer.from('two') },
    { name: accented, data: Buffer.from('three'), pax: { mtime: '1704164645.25' } },
  ]);
  await using tar = await throughGnuTar(archive);
  const names = tar.listing
    .trimEnd()
    .split('\n')
    .map((line) => line.split(' ').at(-1));
  assert.deepEqual(names, [splittable, unsplittable, accented]);
  assert.match(tar.listing, /2024-01-02 03:04:05\.25/, 'the PAX mtime wins over the ustar one');
  assert.equal((await readFile(join(tar.out, unsplittable))).toString(), 'two');
  assert.equal((await readFile(join(tar.out, accented))).toString(), 'three');
  assert.ok(archive.includes(`PaxHeaders.0/${unsplittable}`.slice(0, 100)), 'named as Go names it');
});
