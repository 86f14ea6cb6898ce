// The file's validators, and conditional requests on them (RFC 9110 §13): the decision on
// its own, then through the real server on loopback, where a 304 must carry the validators
// and Cache-Control and not one body byte.
import assert from 'node:assert/strict';
import { rename, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningArtifactServer } from '../../src/serve/server.ts';
import { type FileValidators, isNotModified, validatorsFor } from '../../src/serve/validators.ts';
import { httpGet, rawGet } from '../helpers/http-get.ts';
import { startInProcessServer } from '../helpers/serve-in-process.ts';
import { makeTempDir, randomBytesBuffer, type TempDir } from '../helpers/tmp.ts';

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

const validators: FileValidators = {
  etag: '"abc-1"',
  lastModified: 'Tue, 24 Nov 2026 10:00:00 GMT',
  lastModifiedIsStrong: true,
};
const now = new Date('2026-11-30T00:00:00Z');
const decide = (headers: Record<string, string>, method = 'GET') =>
  isNotModified(method, headers, validators, now);

describe('isNotModified', () => {
  it('If-None-Match: weak comparison, lists, `*` (RFC 9110 §13.1.2)', () => {
    assert.equal(decide({ 'if-none-match': '"abc-1"' }), true);
    assert.equal(decide({ 'if-none-match': 'W/"abc-1"' }), true, 'weak comparison');
    assert.equal(decide({ 'if-none-match': '"x", "abc-1"' }), true, 'in a list');
    assert.equal(decide({ 'if-none-match': '"a,b",W/"abc-1"' }), true, 'a tag with a comma');
    assert.equal(decide({ 'if-none-match': '*' }), true);
    assert.equal(decide({ 'if-none-match': '"abc-2"' }), false);
    assert.equal(decide({ 'if-none-match': '"abc-1' }), false, 'unterminated');
    assert.equal(decide({ 'if-none-match': 'abc-1' }), false, 'unquoted');
  });

  it('If-Modified-Since: not later than Last-Modified is unmodified (§13.1.3)', () => {
    assert.equal(decide({ 'if-modified-since': validators.lastModified }), true);
    assert.equal(decide({ 'if-modified-since': 'Wed, 25 Nov 2026 10:00:00 GMT' }), true);
    assert.equal(decide({ 'if-modified-since': 'Tue, 24 Nov 2026 09:59:59 GMT' }), false);
  });

  it('ignores an invalid or future If-Modified-Since, and one beside If-None-Match', () => {
    assert.equal(decide({ 'if-modified-since': 'yesterday' }), false);
    assert.equal(decide({ 'if-modified-since': 'Thu, 01 Jan 2099 00:00:00 GMT' }), false);
    assert.equal(
      decide({ 'if-modified-since': `${validators.lastModified}, ${validators.lastModified}` }),
      false,
      'more than one date',
    );
    assert.equal(
      decide({ 'if-none-match': '"other"', 'if-modified-since': validators.lastModified }),
      false,
      'If-None-Match decides alone',
    );
  });

  it('applies to GET and HEAD only', () => {
    assert.equal(decide({ 'if-none-match': '*' }, 'HEAD'), true);
    assert.equal(decide({ 'if-none-match': '*' }, 'POST'), false);
    assert.equal(decide({}), false);
  });
});

describe('the artifact server answers conditional requests', () => {
  const secret = 'c'.repeat(43);
  const artifact = randomBytesBuffer(64 * 1024);
  let tmp: TempDir;
  let server: RunningArtifactServer;
  let target: string;
  const lastModified = new Date('2026-01-02T03:04:05Z');

  before(async () => {
    tmp = await makeTempDir('artifact-server-conditional-');
    await writeFile(join(tmp.path, 'app.jar'), artifact);
    await utimes(join(tmp.path, 'app.jar'), lastModified, lastModified);
    const started = await startInProcessServer({ folder: tmp.path, secret });
    server = started.running;
    target = started.signed('/app.jar').slice(server.origin.length);
  });

  after(async () => {
    await server?.close(1000);
    await tmp?.cleanup();
  });

  it('304 with ETag, Last-Modified and Cache-Control, no body, for a matching If-None-Match', async () => {
    const first = await httpGet(`${server.origin}${target}`);
    assert.equal(first.status, 200);
    const etag = first.headers.etag ?? '';
    for (const method of ['GET', 'HEAD']) {
      const exchange = await rawGet(server.origin, target, { 'if-none-match': etag }, method);
      const head = exchange.raw.toString('latin1');
      assert.match(head, /^HTTP\/1\.1 304 /, `${method}: ${head}`);
      assert.match(head, new RegExp(`\\r\\netag: ${etag.replaceAll('"', '\\"')}\\r\\n`, 'i'));
      assert.match(head, /\r\nlast-modified: Fri, 02 Jan 2026 03:04:05 GMT\r\n/i);
      assert.match(head, /\r\ncache-control: private, no-transform\r\n/i);
      assert.doesNotMatch(head, /\r\ncontent-length:/i);
      assert.equal(exchange.body.length, 0, `${method}: no body bytes`);
    }
  });

  it('304 for If-Modified-Since at or after Last-Modified; 200 with the body otherwise', async () => {
    const url = `${server.origin}${target}`;
    const same = await httpGet(url, {
      headers: { 'if-modified-since': lastModified.toUTCString() },
    });
    assert.equal(same.status, 304);
    assert.equal(same.body.length, 0);
    const earlier = new Date(lastModified.getTime() - 1000).toUTCString();
    const changed = await httpGet(url, { headers: { 'if-modified-since': earlier } });
    assert.equal(changed.status, 200);
    assert.ok(changed.body.equals(artifact));
    const otherTag = await httpGet(url, {
      headers: { 'if-none-match': '"other"', 'if-modified-since': lastModified.toUTCString() },
    });
    assert.equal(otherTag.status, 200, 'If-Modified-Since is ignored beside If-None-Match');
  });

  it('evaluates If-None-Match before Range and If-Range (§13.2.2)', async () => {
    const url = `${server.origin}${target}`;
    const etag = (await httpGet(url, { method: 'HEAD' })).headers.etag ?? '';
    const notModified = await httpGet(url, {
      headers: { 'if-none-match': etag, range: 'bytes=0-9', 'if-range': etag },
    });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.body.length, 0);
    const ranged = await httpGet(url, {
      headers: { 'if-none-match': '"other"', range: 'bytes=0-9', 'if-range': etag },
    });
    assert.equal(ranged.status, 206);
    assert.ok(ranged.body.equals(artifact.subarray(0, 10)));
  });

  it('still checks the signature first: an unsigned conditional request is refused', async () => {
    const unsigned = await httpGet(`${server.origin}/app.jar`, {
      headers: { 'if-none-match': '*' },
    });
    assert.equal(unsigned.status, 403);
  });
});
