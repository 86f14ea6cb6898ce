// End-to-end tests of issue 4 (integrity): the built loader runs as a child process against
// a fault-injecting server on loopback. ARTIFACT_SHA256 and --sha256, the JAR structure
// check before publishing, the idempotent re-run, stale temp files, and the digest in the
// final event and the termination message.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { buildJar } from '../../scripts/jar.ts';
import { abandonedAfterMs } from '../../src/artifact/abandoned-temp-files.ts';
import { firstEventNamed, lastEvent } from '../helpers/events.ts';
import {
  type ArtifactServer,
  fakeSignature,
  startArtifactServer,
} from '../helpers/fault-server.ts';
import { jarWithEntryName } from '../helpers/jar.ts';
import { loaderEnv } from '../helpers/loader-env.ts';
import {
  assertNoSecret,
  type LoaderRun,
  type RunLoaderOptions,
  runLoader,
} from '../helpers/run-loader.ts';
import { makeTempDir, sha256Hex, type TempDir } from '../helpers/tmp.ts';

/** Ages a file past the bound after which a temp file counts as abandoned by its run. */
async function makeOld(path: string): Promise<void> {
  const then = new Date(Date.now() - abandonedAfterMs - 60_000);
  await utimes(path, then, then);
}

/** A stored (uncompressed) payload entry, so a slowed download lasts long enough to be killed. */
const PAYLOAD_BYTES = 256 * 1024;
const TEMP_FILE_PATTERN = /^\.app\.jar\.[0-9a-f]{16}\.partial$/;

function assertExit(run: LoaderRun, code: number): void {
  assert.equal(run.code, code, `exit ${run.code} (${run.signal}), wanted ${code}:\n${run.stdout}`);
}

let jar: Buffer;
let jarSha256: string;

before(async () => {
  jar = await buildJar({ payloadBytes: PAYLOAD_BYTES });
  jarSha256 = sha256Hex(jar);
});

describe('integrity (issue 4), end to end', () => {
  let server: ArtifactServer;
  let dir: TempDir;
  let target: string;
  let terminationLog: string;

  beforeEach(async () => {
    server = await startArtifactServer();
    server.setArtifact(jar);
    dir = await makeTempDir('runtime-loader-integrity-');
    target = join(dir.path, 'app.jar');
    terminationLog = join(dir.path, 'termination-log');
    await writeFile(terminationLog, '');
  });

  afterEach(async () => {
    await server.close();
    await dir.cleanup();
  });

  /** Runs the loader against the server's current artifact; `env` overrides the defaults. */
  async function load(
    env: Record<string, string> = {},
    options: Omit<RunLoaderOptions, 'env'> = {},
  ): Promise<LoaderRun> {
    const run = await runLoader({
      timeoutMs: 15_000,
      ...options,
      env: loaderEnv(
        { server, target, terminationLog },
        {
          LOADER_LOG_FORMAT: 'json',
          LOADER_DEADLINE_SECONDS: '10',
          LOADER_BACKOFF_BASE_SECONDS: '0.05',
          LOADER_STALL_TIMEOUT_SECONDS: '3',
          ...env,
        },
      ),
    });
    assertNoSecret(run, [fakeSignature]);
    return run;
  }

  /** Files left in the target folder that look like the loader's temp files. */
  async function tempFiles(): Promise<string[]> {
    return (await readdir(dir.path)).filter((name) => TEMP_FILE_PATTERN.test(name));
  }

  /** No target and no temp file; the termination log shares the folder, so only temp names count. */
  async function assertNothingPublished(): Promise<void> {
    await assert.rejects(stat(target), { code: 'ENOENT' }, 'the target must not exist');
    assert.deepEqual(await tempFiles(), [], 'no temp file may be left behind');
  }

  /** The second run of a test downloaded again: a second request, no skip, `body` published. */
  async function assertDownloadedAgain(second: LoaderRun, body: Buffer): Promise<void> {
    assertExit(second, 0);
    assert.equal(server.requests.length, 2);
    assert.equal(
      second.events.some((event) => event.event === 'already-present'),
      false,
    );
    assert.equal(lastEvent(second).outcome, 'downloaded');
    assert.deepEqual(await readFile(target), body);
  }

  describe('ARTIFACT_SHA256', () => {
    it('a matching digest publishes the file, with the digest in the done event and termination message', async () => {
      const run = await load({ ARTIFACT_SHA256: jarSha256 });
      assertExit(run, 0);
      const done = lastEvent(run);
      assert.equal(done.event, 'done');
      assert.equal(done.outcome, 'downloaded');
      assert.equal(done.sha256, jarSha256);
      assert.equal(done.bytes, jar.length);
      assert.deepEqual(await readFile(target), jar);
      assert.deepEqual(await tempFiles(), []);
      const termination = await readFile(terminationLog, 'utf8');
      assert.match(termination, /^ok: /);
      assert.ok(termination.includes(`sha256=${jarSha256}`), termination);
    });

    it('a mismatch exits 6, publishes nothing, and reports the expected and actual digests', async () => {
      const wrong = sha256Hex('not the artifact');
      const run = await load({ ARTIFACT_SHA256: wrong });
      assertExit(run, 6);
      const failed = lastEvent(run);
      assert.equal(failed.event, 'failed');
      assert.equal(failed.code, 'ERR_INTEGRITY');
      assert.equal(failed.expectedSha256, wrong);
      assert.equal(failed.actualSha256, jarSha256);
      assert.equal(typeof failed.msg, 'string');
      assert.ok(
        String(failed.msg).includes(wrong),
        `message lacks the expected digest: ${failed.msg}`,
      );
      assert.ok(
        String(failed.msg).includes(jarSha256),
        `message lacks the actual digest: ${failed.msg}`,
      );
      assert.equal(server.requests.length, 1, 'a mismatch is not retried');
      await assertNothingPublished();
      const termination = await readFile(terminationLog, 'utf8');
      assert.match(termination, /^exit 6 ERR_INTEGRITY: /);
      assert.ok(termination.includes(jarSha256), termination);
    });

    it('a mismatch leaves an existing file at the target untouched', async () => {
      const previous = Buffer.from('the previous artifact');
      await writeFile(target, previous);
      const run = await load({ ARTIFACT_SHA256: sha256Hex('something else') });
      assertExit(run, 6);
      assert.deepEqual(await readFile(target), previous);
      assert.deepEqual(await tempFiles(), []);
    });

    const accepted: [string, (hex: string) => string][] = [
      ['upper-case hex', (hex) => hex.toUpperCase()],
      ['a sha256: prefix', (hex) => `sha256:${hex}`],
      ['a sha256: prefix with upper-case hex', (hex) => `sha256:${hex.toUpperCase()}`],
    ];
    for (const [label, form] of accepted) {
      for (const via of ['env', 'flag'] as const) {
        it(`accepts ${label} via ${via === 'env' ? 'ARTIFACT_SHA256' : '--sha256'}`, async () => {
          const value = form(jarSha256);
          const run = await load(
            via === 'env' ? { ARTIFACT_SHA256: value } : {},
            via === 'flag' ? { args: ['--sha256', value] } : {},
          );
          assertExit(run, 0);
          // Normalised to lower-case hex, so it is really in use (not silently ignored).
          assert.equal(firstEventNamed(run, 'start').sha256Expected, jarSha256);
          assert.equal(lastEvent(run).sha256, jarSha256);
          assert.deepEqual(await readFile(target), jar);
        });
      }
    }

    it('the flag form of a wrong digest is enforced too', async () => {
      const wrong = sha256Hex('wrong').toUpperCase();
      const run = await load({}, { args: [`--sha256=sha256:${wrong}`] });
      assertExit(run, 6);
      assert.equal(lastEvent(run).expectedSha256, wrong.toLowerCase());
      await assertNothingPublished();
    });

    // Built while the suite is declared, before `before` has made the JAR: any digest will do.
    const hex = sha256Hex('any bytes');
    const malformed: [string, string][] = [
      ['63 hex characters', hex.slice(1)],
      ['65 hex characters', `${hex}0`],
      ['a non-hex character', `g${hex.slice(1)}`],
      ['another algorithm prefix', `sha512:${hex}`],
      ['surrounding spaces', ` ${hex} `],
    ];
    for (const [label, value] of malformed) {
      it(`refuses ${label} with exit 2 before any request`, async () => {
        const run = await load({ ARTIFACT_SHA256: value });
        assertExit(run, 2);
        const failed = lastEvent(run);
        assert.equal(failed.event, 'failed');
        assert.equal(failed.code, 'ERR_CONFIG');
        assert.match(String(failed.msg), /ARTIFACT_SHA256/);
        assert.equal(server.requests.length, 0);
        await assertNothingPublished();
      });
    }

    it('takes an empty ARTIFACT_SHA256 as unset, and refuses an empty --sha256 naming the flag', async () => {
      assertExit(await load({ ARTIFACT_SHA256: '' }), 0);
      assert.deepEqual(await readFile(target), jar);
      const run = await load({ ARTIFACT_SHA256: '' }, { args: ['--sha256='] });
      assertExit(run, 2);
      assert.match(String(lastEvent(run).msg), /--sha256 is given an empty value; expected HEX/);
    });

    it('refuses a malformed --sha256 with exit 2 naming the flag and the variable', async () => {
      const run = await load({}, { args: ['--sha256', 'deadbeef'] });
      assertExit(run, 2);
      assert.match(String(lastEvent(run).msg), /--sha256 \(or ARTIFACT_SHA256\)/);
      assert.equal(server.requests.length, 0);
    });
  });

  describe('JAR structure check', () => {
    it('a real JAR with a manifest passes, published with mode 0644 even under umask 077', async () => {
      // The child inherits the umask: the loader must set the mode itself.
      const previousUmask = process.umask(0o077);
      let run: LoaderRun;
      try {
        run = await load();
      } finally {
        process.umask(previousUmask);
      }
      assertExit(run, 0);
      assert.equal(firstEventNamed(run, 'start').verifyJar, 'auto');
      assert.equal(lastEvent(run).sha256, jarSha256);
      assert.deepEqual(await readFile(target), jar);
      assert.equal((await stat(target)).mode & 0o777, 0o644);
    });

    it('a zip64 archive passes', async () => {
      const zip64 = await buildJar({
        payloadBytes: PAYLOAD_BYTES,
        zip64Entries: true,
        zip64End: true,
      });
      // Sanity check that yazl really wrote the zip64 end records (locator signature).
      assert.notEqual(zip64.indexOf(Buffer.from([0x50, 0x4b, 0x06, 0x07])), -1);
      server.setArtifact(zip64);
      const run = await load({ ARTIFACT_SHA256: sha256Hex(zip64) });
      assertExit(run, 0);
      assert.deepEqual(await readFile(target), zip64);
    });

    it('LOADER_VERIFY_JAR=true: random bytes of the right size exit 6 with "not a zip archive"', async () => {
      server.setArtifact(randomBytes(jar.length));
      const run = await load({ LOADER_VERIFY_JAR: 'true' });
      assertExit(run, 6);
      const failed = lastEvent(run);
      assert.equal(failed.code, 'ERR_INTEGRITY');
      assert.match(String(failed.msg), /not a zip archive/);
      assert.match(
        await readFile(terminationLog, 'utf8'),
        /^exit 6 ERR_INTEGRITY: not a zip archive/,
      );
      await assertNothingPublished();
    });

    it('a truncated JAR (served and expected at its truncated size) exits 6', async () => {
      const truncated = jar.subarray(0, jar.length - 100);
      server.setArtifact(truncated);
      const run = await load({ ARTIFACT_EXPECTED_SIZE: String(truncated.length) });
      assertExit(run, 6);
      const failed = lastEvent(run);
      assert.equal(failed.code, 'ERR_INTEGRITY');
      assert.match(String(failed.msg), /zip archive/);
      // The digest of the refused body, for audit.
      assert.equal(failed.sha256, sha256Hex(truncated));
      await assertNothingPublished();
    });

    it('a JAR cut inside its central directory, with the end record kept, exits 6', async () => {
      // Drop 64 bytes from just before the EOCD: the directory then runs past its end.
      const eocd = jar.length - 22;
      assert.equal(jar.readUInt32LE(eocd), 0x06054b50);
      const cut = Buffer.concat([jar.subarray(0, eocd - 64), jar.subarray(eocd)]);
      server.setArtifact(cut);
      const run = await load();
      assertExit(run, 6);
      assert.match(String(lastEvent(run).msg), /^corrupt zip archive: /);
      await assertNothingPublished();
    });

    it('a JAR with a ../evil entry exits 6 naming the entry', async () => {
      const evil = await jarWithEntryName('../evil', { payloadBytes: PAYLOAD_BYTES });
      server.setArtifact(evil);
      const run = await load();
      assertExit(run, 6);
      const failed = lastEvent(run);
      assert.equal(failed.code, 'ERR_INTEGRITY');
      assert.match(String(failed.msg), /^unsafe entry name in archive: "\.\.\/evil"/);
      assert.equal(failed.entryName, '../evil');
      await assertNothingPublished();
    });

    it('--verify-jar: a gzip file exits 6', async () => {
      const gzip = gzipSync(jar);
      assert.equal(gzip.readUInt16BE(0), 0x1f8b);
      server.setArtifact(gzip);
      const run = await load({}, { args: ['--verify-jar'] });
      assertExit(run, 6);
      assert.match(String(lastEvent(run).msg), /not a zip archive/);
      await assertNothingPublished();
    });

    it('--no-verify-jar lets a non-zip through', async () => {
      const bytes = randomBytes(64 * 1024);
      server.setArtifact(bytes);
      const run = await load({}, { args: ['--no-verify-jar'] });
      assertExit(run, 0);
      assert.equal(firstEventNamed(run, 'start').verifyJar, false);
      assert.equal(lastEvent(run).sha256, sha256Hex(bytes));
      assert.deepEqual(await readFile(target), bytes);
    });

    it('LOADER_VERIFY_JAR=false lets a non-zip through', async () => {
      const bytes = gzipSync(randomBytes(64 * 1024));
      server.setArtifact(bytes);
      const run = await load({ LOADER_VERIFY_JAR: 'false' });
      assertExit(run, 0);
      assert.equal(firstEventNamed(run, 'start').verifyJar, false);
      assert.deepEqual(await readFile(target), bytes);
    });

    it('the digest is still enforced with the JAR check off', async () => {
      server.setArtifact(randomBytes(64 * 1024));
      const run = await load({ LOADER_VERIFY_JAR: 'false', ARTIFACT_SHA256: jarSha256 });
      assertExit(run, 6);
      assert.equal(lastEvent(run).expectedSha256, jarSha256);
      await assertNothingPublished();
    });
  });

  describe('idempotent re-run', () => {
    it('with a matching digest, makes no request and leaves the file as it is', async () => {
      const first = await load({ ARTIFACT_SHA256: jarSha256 });
      assertExit(first, 0);
      assert.equal(server.requests.length, 1);
      const before = await stat(target);

      const second = await load({ ARTIFACT_SHA256: jarSha256 });
      assertExit(second, 0);
      assert.equal(server.requests.length, 1, 'the second run must not make a request');
      const present = firstEventNamed(second, 'already-present');
      assert.equal(present.sha256, jarSha256);
      const done = lastEvent(second);
      assert.equal(done.event, 'done');
      assert.equal(done.outcome, 'already-present');
      assert.equal(done.sha256, jarSha256);
      assert.ok(
        (await readFile(terminationLog, 'utf8')).includes(`sha256=${jarSha256}`),
        'the termination message carries the digest on a skip too',
      );
      const after = await stat(target);
      assert.deepEqual(await readFile(target), jar);
      assert.equal(after.mtimeMs, before.mtimeMs);
      assert.equal(after.ino, before.ino);
    });

    it('without a digest, a changed object of the same size is downloaded again', async () => {
      const first = await load();
      assertExit(first, 0);
      assert.equal(server.requests.length, 1);
      // A different artifact of exactly the same size: only a download can bring it.
      const next = await buildJar({ payloadBytes: PAYLOAD_BYTES });
      assert.equal(next.length, jar.length);
      assert.notDeepEqual(next, jar);
      server.setArtifact(next);

      const second = await load();
      await assertDownloadedAgain(second, next);
      // The re-run asks conditionally (issue 14); the object changed, so the server sends it.
      assert.match(
        String(firstEventNamed(second, 'plan').reason),
        /the object changed: the server answered 200/,
      );
    });

    it('after the target was tampered with (same size, one byte flipped), downloads again', async () => {
      const first = await load({ ARTIFACT_SHA256: jarSha256 });
      assertExit(first, 0);
      const tampered = await readFile(target);
      tampered[1000] = (tampered[1000] ?? 0) ^ 0xff;
      await writeFile(target, tampered);

      const second = await load({ ARTIFACT_SHA256: jarSha256 });
      await assertDownloadedAgain(second, jar);
      assert.match(String(firstEventNamed(second, 'plan').reason), /another SHA-256/);
    });
  });

  describe('stale temp files', () => {
    it('a temp file left by a killed run is removed at start; others are not touched', async () => {
      const stale = '.app.jar.0123456789abcdef.partial';
      const foreign = ['.other.jar.0123456789abcdef.partial', '.app.jar.notours.partial'];
      await writeFile(join(dir.path, stale), 'half a download');
      for (const name of foreign) await writeFile(join(dir.path, name), 'not ours');
      for (const name of [stale, ...foreign]) await makeOld(join(dir.path, name));

      const run = await load();
      assertExit(run, 0);
      const removed = firstEventNamed(run, 'stale-temp-removed');
      assert.deepEqual(removed.files, [stale]);
      await assert.rejects(stat(join(dir.path, stale)), { code: 'ENOENT' });
      for (const name of foreign) assert.ok((await stat(join(dir.path, name))).isFile(), name);
      assert.deepEqual(await readFile(target), jar);
    });

    it('a run killed with SIGKILL mid-download leaves a temp file that the next run removes', async () => {
      server.schedule({ kind: 'slow', bytesPerChunk: 16 * 1024, delayMs: 60 });
      let killedAtBytes = 0;
      const killed = await load(
        {},
        {
          onEvent: (event, child) => {
            if (event.event === 'progress' && Number(event.bytes) > 0 && killedAtBytes === 0) {
              killedAtBytes = Number(event.bytes);
              child.kill('SIGKILL');
            }
          },
        },
      );
      assert.equal(killed.signal, 'SIGKILL', `not killed:\n${killed.stdout}`);
      assert.ok(killedAtBytes > 0 && killedAtBytes < jar.length, `killed at ${killedAtBytes}`);
      await assert.rejects(stat(target), { code: 'ENOENT' });
      const left = await tempFiles();
      assert.equal(left.length, 1, `temp files: ${left.join(', ')}`);
      // Its size is not asserted: bytes received may still sit in a write batch when killed.
      const [leftName = ''] = left;

      // Just killed, it looks like another run's live file: nothing proves it abandoned yet.
      const soon = await load({ ARTIFACT_SHA256: jarSha256 });
      assertExit(soon, 0);
      assert.deepEqual(firstEventNamed(soon, 'temp-in-use').files, [leftName]);
      assert.deepEqual(await tempFiles(), [leftName]);

      // Once unchanged for longer than any live run allows, the next run removes it.
      await makeOld(join(dir.path, leftName));
      const again = await load({ ARTIFACT_SHA256: jarSha256 });
      assertExit(again, 0);
      assert.deepEqual(firstEventNamed(again, 'stale-temp-removed').files, [leftName]);
      assert.deepEqual(await tempFiles(), []);
      assert.deepEqual(await readFile(target), jar);
      assert.equal(lastEvent(again).sha256, jarSha256);
    });
  });
});
