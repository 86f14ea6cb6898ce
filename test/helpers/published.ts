// What a run left at its target: the published file and its verification record, or nothing at all.
import assert from 'node:assert/strict';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { recordPathFor } from '../../src/artifact/verification-record.ts';
import { sha256Hex } from './tmp.ts';

/** What a successful run leaves in the folder: the target and its record, no temp file. */
export function publishedNames(target: string): string[] {
  return [basename(recordPathFor(target)), basename(target)].sort();
}

/** The target holds exactly `body`, its record vouches for it, and nothing else is in its folder. */
export async function assertPublished(target: string, body: Buffer): Promise<void> {
  assert.equal(sha256Hex(await readFile(target)), sha256Hex(body), 'byte-identical artifact');
  assert.deepEqual((await readdir(dirname(target))).sort(), publishedNames(target));
  const record = JSON.parse(await readFile(recordPathFor(target), 'utf8'));
  assert.equal(record.sha256, sha256Hex(body), 'the verification record names these bytes');
}

/** No file at the target and nothing (no `.app.jar.*.partial`) left in its folder, if any. */
export async function assertNothingPublished(target: string): Promise<void> {
  await assert.rejects(lstat(target), { code: 'ENOENT' }, 'no file at the target');
  const names = await readdir(dirname(target)).catch(() => []);
  assert.deepEqual(names, [], 'nothing left in the target folder');
}
