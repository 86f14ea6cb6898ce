// What a run left at its target: the published file, or nothing at all.
import assert from 'node:assert/strict';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { sha256Hex } from './tmp.ts';

/** The target holds exactly `body`, and nothing else (no temp file) is in its folder. */
export async function assertPublished(target: string, body: Buffer): Promise<void> {
  assert.equal(sha256Hex(await readFile(target)), sha256Hex(body), 'byte-identical artifact');
  assert.deepEqual(await readdir(dirname(target)), [basename(target)]);
}

/** No file at the target and nothing (no `.app.jar.*.partial`) left in its folder, if any. */
export async function assertNothingPublished(target: string): Promise<void> {
  await assert.rejects(lstat(target), { code: 'ENOENT' }, 'no file at the target');
  const names = await readdir(dirname(target)).catch(() => []);
  assert.deepEqual(names, [], 'nothing left in the target folder');
}
