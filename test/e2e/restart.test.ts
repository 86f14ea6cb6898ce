// End-to-end tests of issue 14 (restarts): the built loader re-run against a file it verified
// earlier, as Kubernetes re-runs an init container on a pod restart. The verification record,
// the conditional request (304: no body), keeping the file on 401/403 or an unreachable server,
// never keeping a file that does not match its record, and the published file's mtime.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startServeProcess } from '../../scripts/loader-process.ts';
import { recordPathFor } from '../../src/artifact/verification-record.ts';
import { queryParameter } from '../../src/urls/canonical.ts';
import { signUrl } from '../../src/urls/sign-url.ts';
import { describeRun, eventsNamed, finalEvent, firstEventNamed } from '../helpers/events.ts';
import { fakeSignature } from '../helpers/fault-server.ts';
import { assertNoSecret, type LoaderRun, runLoader } from '../helpers/run-loader.ts';
import { type Scenario, scenario } from '../helpers/scenario.ts';
import { makeTempDir, sha256Hex } from '../helpers/tmp.ts';

const { version: packageVersion } = JSON.parse(
  await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

function assertExit(run: LoaderRun, code: number): void {
  assert.equal(run.code, code, `wanted exit ${code}\n${describeRun(run)}`);
}

interface FileState {
  ino: number;
  mtimeMs: number;
  sha256: string;
}

async function fileState(path: string): Promise<FileState> {
  const stats = await stat(path);
  return { ino: stats.ino, mtimeMs: stats.mtimeMs, sha256: sha256Hex(await readFile(path)) };
}

/** A scenario whose first run has published the server's artifact without a digest. */
async function verifiedOnce(): Promise<Scenario & { first: FileState }> {
  const s = await scenario();
  const run = await s.run();
  assertExit(run, 0);
  return Object.assign(s, { first: await fileState(s.target) });
}

const expiredAnswer = {
  kind: 'status',
  status: 403,
  headers: { 'content-type': 'text/plain' },
  body: 'Request has expired',
} as const;

describe('restarts (issue 14): the verification record', () => {
  it('is written beside the JAR: size, SHA-256, redacted URL, validators, time, version; no secret', async () => {
    await using s = await verifiedOnce();
    const text = await readFile(recordPathFor(s.target), 'utf8');
    assert.ok(!text.includes(fakeSignature), `the record holds the signature: ${text}`);
    const record = JSON.parse(text);
    assert.equal(record.format, 1);
    assert.equal(record.url, `${s.server.origin}/artifacts/app.jar`);
    assert.equal(record.sizeBytes, s.server.artifact.length);
    assert.equal(record.sha256, sha256Hex(s.server.artifact));
    assert.equal(record.etag, s.server.etag);
    assert.equal(record.lastModified, s.server.lastModified);
    assert.ok(Math.abs(Date.parse(record.verifiedAt) - Date.now()) < 60_000, record.verifiedAt);
    // The version the bundle was built with, from package.json (the build injects it).
    assert.equal(record.loaderVersion, packageVersion);
    assert.equal((await stat(recordPathFor(s.target))).mode & 0o777, 0o644);
  });
});

describe('restarts (issue 14): the re-run of a verified file', () => {
  it('never keeps a file published unchecked (auto, no zip signature) when LOADER_VERIFY_JAR=true asks for a JAR', async () => {
    await using s = await scenario();
    // Bytes with no zip signature: auto publishes them with a warning, and the record says so.
    s.server.setArtifact(randomBytes(5000));
    const first = await s.run({ LOADER_VERIFY_JAR: 'auto' });
    assertExit(first, 0);
    assert.ok(firstEventNamed(first, 'not-a-jar'), describeRun(first));
    const record = JSON.parse(await readFile(recordPathFor(s.target), 'utf8'));
    assert.equal(record.jarCheck, 'not-a-zip');
    // A stricter re-run does not take the record's word for it: it downloads and refuses.
    const strict = await s.run({ LOADER_VERIFY_JAR: 'true' });
    assertExit(strict, 6);
    assert.equal(eventsNamed(strict, 'revalidate').length, 0, describeRun(strict));
    // The same setting as the first run still keeps it with a 304.
    const same = await s.run({ LOADER_VERIFY_JAR: 'auto' });
    assertExit(same, 0);
    assert.equal(finalEvent(same).outcome, 'not-modified', describeRun(same));
  });

  it('sends If-None-Match / If-Modified-Since; a 304 keeps the file and no body byte is sent', async () => {
    await using s = await verifiedOnce();
    const second = await s.run();
    assertExit(second, 0);
    const [, request] = s.server.requests;
    assert.equal(s.server.requests.length, 2, 'one request on the re-run');
    assert.equal(request?.headers['if-none-match'], s.server.etag);
    assert.equal(request?.headers['if-modified-since'], s.server.lastModified);
    assert.equal(request?.status, 304);
    assert.equal(request?.bytesSent, 0, 'no body bytes on the re-run');
    const done = finalEvent(second);
    assert.equal(done.outcome, 'not-modified');
    assert.equal(done.sha256, sha256Hex(s.server.artifact));
    firstEventNamed(second, 'not-modified');
    assert.deepEqual(await fileState(s.target), s.first, 'same inode, mtime and bytes');
  });

  it('without an ETag, asks with If-Modified-Since alone and keeps the file on its 304', async () => {
    await using s = await scenario();
    s.server.setArtifact(randomBytes(100_000), { etag: null });
    assertExit(await s.run(), 0);
    const first = await fileState(s.target);
    const second = await s.run();
    assertExit(second, 0);
    const request = s.server.requests.at(-1);
    assert.equal(request?.headers['if-none-match'], undefined);
    assert.equal(request?.headers['if-modified-since'], s.server.lastModified);
    assert.equal(request?.bytesSent, 0);
    assert.equal(finalEvent(second).outcome, 'not-modified');
    assert.deepEqual(await fileState(s.target), first);
  });

  it('the restart case: the URL now answers 403, the verified file is kept, exit 0, a warning', async () => {
    await using s = await verifiedOnce();
    s.server.schedule(expiredAnswer);
    const second = await s.run();
    assertExit(second, 0);
    const warning = firstEventNamed(second, 'kept-verified');
    assert.equal(warning.level, 'warn');
    assert.equal(warning.status, 403);
    assert.match(String(warning.msg), /403/);
    assert.match(String(warning.msg), /Request has expired/);
    const done = finalEvent(second);
    assert.equal(done.outcome, 'kept-verified');
    assert.equal(done.exitCode, 0);
    assert.deepEqual(await fileState(s.target), s.first, 'the file is untouched');
  });

  it('keeps the file on a 401 too, and when the server cannot be reached at all', async () => {
    await using s = await verifiedOnce();
    s.server.schedule({ kind: 'status', status: 401 });
    const unauthorized = await s.run();
    assertExit(unauthorized, 0);
    assert.equal(firstEventNamed(unauthorized, 'kept-verified').status, 401);

    await s.server.close();
    const unreachable = await s.run({ LOADER_MAX_ATTEMPTS: '2' });
    assertExit(unreachable, 0);
    const warning = firstEventNamed(unreachable, 'kept-verified');
    assert.equal(warning.errorCode, 'ECONNREFUSED');
    assert.equal(eventsNamed(unreachable, 'retry').length, 1, 'retried first, as any attempt');
    assert.equal(finalEvent(unreachable).outcome, 'kept-verified');
    assert.deepEqual(await fileState(s.target), s.first);
  });

  it("keeps the file on GCS's 400 ExpiredToken, but not on another 400", async () => {
    await using s = await verifiedOnce();
    const xml = (code: string) => ({
      kind: 'status' as const,
      status: 400,
      headers: { 'content-type': 'application/xml' },
      body: `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>The provided token has expired.</Message></Error>`,
    });
    s.server.schedule(xml('ExpiredToken'), xml('InvalidArgument'));
    const expired = await s.run();
    assertExit(expired, 0);
    assert.equal(firstEventNamed(expired, 'kept-verified').status, 400);
    assertExit(await s.run(), 3);
    assert.deepEqual(await fileState(s.target), s.first);
  });

  it('keeps the file when the server says nothing before the deadline', async () => {
    await using s = await verifiedOnce();
    // Accepts the request and never answers: only the deadline ends the wait.
    s.server.route('/artifacts/app.jar', () => {});
    const second = await s.run({
      LOADER_DEADLINE_SECONDS: '1',
      LOADER_STALL_TIMEOUT_SECONDS: '30',
    });
    assertExit(second, 0);
    const warning = firstEventNamed(second, 'kept-verified');
    assert.equal(warning.code, 'ERR_DEADLINE');
    assert.match(String(warning.msg), /deadline/);
    assert.equal(finalEvent(second).outcome, 'kept-verified');
    assert.deepEqual(await fileState(s.target), s.first);
  });

  it('keeps the file when the deadline cuts the retries short, and says why the last attempt failed', async () => {
    await using s = await verifiedOnce();
    s.server.route('/artifacts/app.jar', () => {});
    // Two attempts stall in full (1 s each, backoffs of at most 0.1 s), the third is under
    // way when the deadline comes: had one ended just before it, the loop would give up at
    // once with the stall as the reason, and keep the file saying that instead.
    const second = await s.run({
      LOADER_DEADLINE_SECONDS: '2.9',
      LOADER_STALL_TIMEOUT_SECONDS: '1',
      LOADER_MAX_ATTEMPTS: '100',
    });
    assertExit(second, 0);
    const warning = firstEventNamed(second, 'kept-verified');
    assert.equal(warning.code, 'ERR_DEADLINE');
    assert.match(
      String(warning.reason),
      /deadline.*; the last attempt failed: /,
      describeRun(second),
    );
    assert.deepEqual(await fileState(s.target), s.first);
  });

  it('keeps the file when 503s outlast every retry', async () => {
    await using s = await verifiedOnce();
    s.server.schedule({ kind: 'status', status: 503 }, { kind: 'status', status: 503 });
    const second = await s.run({ LOADER_MAX_ATTEMPTS: '2' });
    assertExit(second, 0);
    assert.equal(firstEventNamed(second, 'kept-verified').status, 503);
    assert.deepEqual(await fileState(s.target), s.first);
  });

  it('LOADER_KEEP_VERIFIED=false (or --no-keep-verified): the 403 fails with exit 3, file untouched', async () => {
    await using s = await verifiedOnce();
    s.server.schedule(expiredAnswer, expiredAnswer);
    const byEnv = await s.run({ LOADER_KEEP_VERIFIED: 'false' });
    assertExit(byEnv, 3);
    assert.equal(eventsNamed(byEnv, 'kept-verified').length, 0);
    const byFlag = await s.run({}, { args: ['--no-keep-verified'] });
    assertExit(byFlag, 3);
    assert.deepEqual(await fileState(s.target), s.first);
  });

  it('a 404 is not a reason to keep: exit 3 as before', async () => {
    await using s = await verifiedOnce();
    s.server.schedule({ kind: 'status', status: 404 });
    assertExit(await s.run(), 3);
  });

  it('a 200 (a new version) is downloaded and published with a new record', async () => {
    await using s = await verifiedOnce();
    const next = randomBytes(s.server.artifact.length);
    s.server.setArtifact(next);
    const second = await s.run();
    assertExit(second, 0);
    assert.equal(finalEvent(second).outcome, 'downloaded');
    assert.equal(s.server.requests.length, 2, 'the conditional request brought the body itself');
    assert.equal(sha256Hex(await readFile(s.target)), sha256Hex(next));
    const record = JSON.parse(await readFile(recordPathFor(s.target), 'utf8'));
    assert.equal(record.sha256, sha256Hex(next));
    assert.equal(record.etag, s.server.etag);
  });
});

describe("restarts (issue 19): a 304 is trusted only when it answers the loader's own question", () => {
  it('a rollback under a weak ETag (older object, same size): asked with If-None-Match, the older object is downloaded', async () => {
    await using s = await scenario();
    const newer = randomBytes(100_000);
    const older = randomBytes(100_000);
    s.server.setArtifact(newer, { etag: 'W/"new"', lastModified: 'Tue, 24 Nov 2026 10:00:00 GMT' });
    assertExit(await s.run(), 0);
    s.server.setArtifact(older, { etag: 'W/"old"', lastModified: 'Mon, 23 Nov 2026 10:00:00 GMT' });
    const second = await s.run();
    assertExit(second, 0);
    assert.equal(finalEvent(second).outcome, 'downloaded', describeRun(second));
    assert.equal(s.server.requests.at(-1)?.headers['if-none-match'], 'W/"new"');
    assert.deepEqual(await readFile(s.target), older);
  });

  it('a 304 with another ETag is not taken as "not modified": the file is fetched again without a condition', async () => {
    await using s = await verifiedOnce();
    s.server.schedule({ kind: 'status', status: 304, headers: { etag: '"other"' } });
    const second = await s.run();
    assertExit(second, 0);
    const done = finalEvent(second);
    assert.equal(done.outcome, 'downloaded', describeRun(second));
    const [retry, ...more] = eventsNamed(second, 'retry');
    assert.equal(more.length, 0);
    assert.equal(retry?.errorCode, 'UNTRUSTED_NOT_MODIFIED');
    assert.match(
      String(retry?.reason),
      /answered 304 Not Modified with the ETag "other", but the verification record has/,
    );
    assert.equal(done.attempts, 2, 'the untrusted 304 was an attempt');
    assert.equal(done.resumedBytes, 0);
    assert.equal(done.bytes, s.server.artifact.length);
    assert.match(
      String(firstEventNamed(second, 'plan').reason),
      /304 did not match the verification record; the server answered 200 to a request without a condition/,
    );
    const [, conditional, fresh] = s.server.requests;
    assert.equal(conditional?.headers['if-none-match'], s.server.etag);
    assert.equal(fresh?.headers['if-none-match'], undefined);
    assert.equal(fresh?.status, 200);
    assert.deepEqual(await readFile(s.target), s.server.artifact);
  });

  it('a record without validators asks without a condition: a 304 to that is exit 4, as on a first run', async () => {
    await using s = await scenario();
    s.server.setArtifact(randomBytes(100_000), { etag: null, lastModified: null });
    assertExit(await s.run(), 0);
    const first = await fileState(s.target);
    s.server.schedule({ kind: 'status', status: 304 }, { kind: 'status', status: 304 });
    const rerun = await s.run();
    assertExit(rerun, 4);
    assert.equal(s.server.requests[1]?.headers['if-none-match'], undefined);
    assert.equal(s.server.requests[1]?.headers['if-modified-since'], undefined);
    assert.deepEqual(await fileState(s.target), first, 'a failed run leaves the file as it was');
    const firstRun = await s.run({ ARTIFACT_PATH: join(s.dir.path, 'fresh', 'app.jar') });
    assertExit(firstRun, 4);
    assert.equal(finalEvent(rerun).msg, finalEvent(firstRun).msg);
  });

  it('a record without validators: a 200 is not called an answer to a conditional request', async () => {
    await using s = await scenario();
    s.server.setArtifact(randomBytes(100_000), { etag: null, lastModified: null });
    assertExit(await s.run(), 0);
    const second = await s.run();
    assertExit(second, 0);
    assert.match(String(firstEventNamed(second, 'revalidate').msg), /no ETag or Last-Modified/);
    const { reason } = firstEventNamed(second, 'plan');
    assert.doesNotMatch(String(reason), /conditional on the verified file/);
    assert.match(
      String(reason),
      /record holds no ETag or Last-Modified to ask whether the object changed; the server answered 200 to a request without a condition/,
    );
  });
});

describe('restarts (issue 14): an artifact fetched in parts', () => {
  const inParts = { LOADER_PARALLEL_THRESHOLD_BYTES: '65536', LOADER_CONNECTIONS: '4' };

  it('the conditional request is part 0: a 304 keeps the file, a change is fetched in parts', async () => {
    await using s = await scenario();
    assertExit(await s.run(inParts), 0);
    const first = await fileState(s.target);
    const requestsBefore = s.server.requests.length;
    assert.ok(requestsBefore > 1, 'the first run came in parts');

    const unchanged = await s.run(inParts);
    assertExit(unchanged, 0);
    assert.equal(finalEvent(unchanged).outcome, 'not-modified');
    const [conditional, ...more] = s.server.requests.slice(requestsBefore);
    assert.equal(more.length, 0, 'one request');
    assert.equal(conditional?.headers['if-none-match'], s.server.etag);
    assert.match(String(conditional?.headers.range), /^bytes=0-[0-9]+$/);
    assert.equal(conditional?.status, 304);
    assert.equal(conditional?.bytesSent, 0);
    assert.deepEqual(await fileState(s.target), first);

    const next = randomBytes(s.server.artifact.length);
    s.server.setArtifact(next);
    const changed = await s.run(inParts);
    assertExit(changed, 0);
    assert.equal(finalEvent(changed).outcome, 'downloaded');
    assert.equal(firstEventNamed(changed, 'parts').parts, 4);
    assert.deepEqual(await readFile(s.target), next);
    assert.equal(finalEvent(changed).attempts, 1);
  });
});

describe('restarts (issue 14): what is never kept', () => {
  it('a file changed in place (same size, other bytes): downloaded again, and exit 3 on a 403', async () => {
    await using s = await verifiedOnce();
    const tampered = await readFile(s.target);
    tampered[1000] = (tampered[1000] ?? 0) ^ 0xff;
    await writeFile(s.target, tampered);
    s.server.schedule(expiredAnswer);
    const second = await s.run();
    assertExit(second, 3);
    assert.match(String(firstEventNamed(second, 'plan').reason), /changed since it was verified/);
    assert.equal(s.server.requests.at(-1)?.headers['if-none-match'], undefined, 'unconditional');
    assert.deepEqual(await readFile(s.target), tampered, 'a failed run leaves the file as it was');

    const third = await s.run();
    assertExit(third, 0);
    assert.equal(finalEvent(third).outcome, 'downloaded');
    assert.deepEqual(await readFile(s.target), s.server.artifact);
  });

  it('another expected size: not kept (exit 3 on a 403)', async () => {
    await using s = await verifiedOnce();
    s.server.schedule(expiredAnswer);
    const second = await s.run({ ARTIFACT_EXPECTED_SIZE: String(s.server.artifact.length + 1) });
    assertExit(second, 3);
    assert.match(String(firstEventNamed(second, 'plan').reason), /another expected size/);
    assert.deepEqual(await fileState(s.target), s.first);
  });

  it('another URL path: not kept (exit 3 on a 403)', async () => {
    await using s = await verifiedOnce();
    s.server.schedule(expiredAnswer);
    const second = await s.run({
      ARTIFACT_URL: s.server.url(`/artifacts/v2/app.jar?X-Amz-Signature=${fakeSignature}`),
    });
    assertExit(second, 3);
    assert.match(String(firstEventNamed(second, 'plan').reason), /another URL/);
  });

  describe('a version selected in the query (S3 versionId, GCS generation, Azure versionid/snapshot)', () => {
    const v1 = '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY';
    const v2 = 'null-Zk9pQ2xRbnRfVjJ2ZXJzaW9uAA';
    const withVersion = (s: Scenario, versionId: string) =>
      s.server.url(
        `/artifacts/app.jar?versionId=${encodeURIComponent(versionId)}&X-Amz-Signature=${fakeSignature}`,
      );

    it('is written to the record, without the signature', async () => {
      await using s = await scenario();
      assertExit(await s.run({ ARTIFACT_URL: withVersion(s, v1) }), 0);
      const text = await readFile(recordPathFor(s.target), 'utf8');
      assert.ok(!text.includes(fakeSignature), text);
      const record = JSON.parse(text);
      assert.equal(record.url, `${s.server.origin}/artifacts/app.jar`);
      assert.deepEqual(record.selectors, { versionId: v1 });
    });

    it('another version is another artifact: not kept on a 403, and the reason names both', async () => {
      await using s = await scenario();
      assertExit(await s.run({ ARTIFACT_URL: withVersion(s, v1) }), 0);
      const first = await fileState(s.target);
      s.server.schedule(expiredAnswer);
      const second = await s.run({ ARTIFACT_URL: withVersion(s, v2) });
      assertExit(second, 3);
      assert.equal(eventsNamed(second, 'revalidate').length, 0);
      assert.equal(
        firstEventNamed(second, 'plan').reason,
        `the file in place was verified for another version of the object: the URL's version selectors are {"versionId":"${v2}"}, the record's {"versionId":"${v1}"}`,
      );
      assert.deepEqual(await fileState(s.target), first);
    });

    it('the same version is still kept: a 304 to its conditional request', async () => {
      await using s = await scenario();
      assertExit(await s.run({ ARTIFACT_URL: withVersion(s, v1) }), 0);
      const second = await s.run({ ARTIFACT_URL: withVersion(s, v1) });
      assertExit(second, 0);
      assert.equal(finalEvent(second).outcome, 'not-modified', describeRun(second));
    });

    it('a record without selectors does not vouch for a URL that has them', async () => {
      await using s = await verifiedOnce();
      s.server.schedule(expiredAnswer);
      const second = await s.run({ ARTIFACT_URL: withVersion(s, v1) });
      assertExit(second, 3);
      assert.match(
        String(firstEventNamed(second, 'plan').reason),
        /version selectors are \{"versionId":"3HL4kqtJlcpXroDTDmJ\+rmSpXd3dIbrHY"\}, the record's none/,
      );
    });
  });

  it('a record whose file grew or was truncated: not kept', async () => {
    await using s = await verifiedOnce();
    await writeFile(s.target, Buffer.concat([await readFile(s.target), Buffer.from('x')]));
    s.server.schedule(expiredAnswer);
    const second = await s.run();
    assertExit(second, 3);
    assert.match(String(firstEventNamed(second, 'plan').reason), /another size/);
  });

  for (const [what, etag] of [
    ['CR/LF', '"v1"\r\nx-injected: 1'],
    ['NUL', '"v1\u0000"'],
    ['non-ASCII (é)', '"vé"'],
    ['non-ASCII (€)', '"v€"'],
  ]) {
    it(`a record whose ETag cannot be sent as a header (${what}) is not valid: the file is downloaded, not kept`, async () => {
      await using s = await verifiedOnce();
      const path = recordPathFor(s.target);
      const record = JSON.parse(await readFile(path, 'utf8'));
      await writeFile(path, JSON.stringify({ ...record, etag }));
      const second = await s.run();
      assertExit(second, 0);
      assert.equal(finalEvent(second).outcome, 'downloaded', describeRun(second));
      assert.match(String(firstEventNamed(second, 'plan').reason), /no valid verification record/);
      assert.equal(eventsNamed(second, 'revalidate').length, 0);
      const request = s.server.requests.at(-1);
      assert.equal(s.server.requests.length, 2, 'one request on the re-run');
      assert.equal(request?.headers['if-none-match'], undefined, 'unconditional');
      assert.equal(request?.headers['if-modified-since'], undefined, 'unconditional');
      assert.equal(JSON.parse(await readFile(path, 'utf8')).etag, s.server.etag, 'a new record');
    });
  }

  it('with ARTIFACT_SHA256 a matching file is still kept without any request', async () => {
    await using s = await verifiedOnce();
    const second = await s.run({ ARTIFACT_SHA256: sha256Hex(s.server.artifact) });
    assertExit(second, 0);
    assert.equal(finalEvent(second).outcome, 'already-present');
    assert.equal(s.server.requests.length, 1);
  });
});

describe('restarts (issue 14): a stable modification time', () => {
  it("the published file takes the server's Last-Modified; a 304 or a kept file leaves it", async () => {
    await using s = await verifiedOnce();
    assert.equal(s.first.mtimeMs, Date.parse(s.server.lastModified ?? ''));
    assertExit(await s.run(), 0);
    s.server.schedule(expiredAnswer);
    assertExit(await s.run(), 0);
    assert.equal((await stat(s.target)).mtimeMs, s.first.mtimeMs);
  });

  it('without Last-Modified: a time derived from the SHA-256, equal on every replica', async () => {
    const body = randomBytes(50_000);
    const mtimes: number[] = [];
    for (const replica of [1, 2]) {
      await using s = await scenario();
      s.server.setArtifact(body, { lastModified: null });
      const run = await s.run();
      assertExit(run, 0);
      mtimes.push((await stat(s.target)).mtimeMs);
      assert.ok(replica > 0);
    }
    assert.equal(mtimes[0], mtimes[1], 'two replicas, one modification time');
    const [mtime = 0] = mtimes;
    assert.ok(mtime >= Date.UTC(2000, 0, 1) && mtime < Date.UTC(2020, 0, 1), String(mtime));
    assert.equal(mtime % 1000, 0, 'whole seconds');

    await using other = await scenario();
    other.server.setArtifact(randomBytes(50_000), { lastModified: null });
    assertExit(await other.run(), 0);
    assert.notEqual((await stat(other.target)).mtimeMs, mtime, 'another JAR, another time');
  });
});

describe('restarts (issue 14): against runtime-loader serve with real signed URLs', () => {
  it('a fresh URL gets a 304 with no body; an expired one a 403, and the file is kept', async () => {
    await using tmp = await makeTempDir('runtime-loader-restart-');
    const files = join(tmp.path, 'files');
    const secretFile = join(tmp.path, 'secret');
    const secret = 'r'.repeat(44);
    await writeFile(secretFile, `${secret}\n`);
    await chmod(secretFile, 0o600);
    await mkdir(files);
    const artifact = randomBytes(200_000);
    await writeFile(join(files, 'app.jar'), artifact);
    await using server = await startServeProcess({ dir: files, secretFile });
    const target = join(tmp.path, 'out', 'app.jar');
    const base = { baseUrl: server.origin, path: '/app.jar', secret };
    const fresh = () => signUrl({ ...base, ttlSeconds: 300 });
    const expiredUrl = () => signUrl({ ...base, expiresAt: new Date(Date.now() - 3_600_000) });
    const load = async (url: string) => {
      const run = await runLoader({
        env: {
          ARTIFACT_URL: url,
          ARTIFACT_PATH: target,
          ARTIFACT_EXPECTED_SIZE: String(artifact.length),
          LOADER_VERIFY_JAR: 'false',
          LOADER_LOG_FORMAT: 'json',
          LOADER_DEADLINE_SECONDS: '10',
        },
      });
      assertNoSecret(run, [new URL(url).searchParams.get(queryParameter.signature) ?? 'unset']);
      return run;
    };
    const accessLog = () =>
      server.lines
        .map((line) => JSON.parse(line))
        .filter((event: { event?: string }) => event.event === 'request');

    assertExit(await load(fresh()), 0);
    const first = await fileState(target);
    assert.equal(first.sha256, sha256Hex(artifact));

    const again = await load(fresh());
    assertExit(again, 0);
    assert.equal(finalEvent(again).outcome, 'not-modified');
    const notModified = accessLog().at(-1);
    assert.equal(notModified?.status, 304, JSON.stringify(notModified));
    assert.equal(notModified?.bytes, 0);

    const expired = await load(expiredUrl());
    assertExit(expired, 0);
    assert.equal(finalEvent(expired).outcome, 'kept-verified');
    assert.match(String(firstEventNamed(expired, 'kept-verified').msg), /expired/);
    // The URL's own expiry is read before the conditional request, as before a download.
    assert.equal(firstEventNamed(expired, 'url-expiry').reason, 'expired', describeRun(expired));
    assert.equal(accessLog().at(-1)?.status, 403);
    assert.deepEqual(await fileState(target), first);
  });
});
