// The init-container contract end to end (issue 2): the built bundle runs as a
// child process against a real server on loopback, the way a container runs it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chown, lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { lastEvent } from '../helpers/events.ts';
import {
  type ArtifactServer,
  fakeSignature,
  startArtifactServer,
} from '../helpers/fault-server.ts';
import { type EnvOverrides, loaderEnv } from '../helpers/loader-env.ts';
import { publishedNames } from '../helpers/published.ts';
import {
  assertNoSecret,
  type LoaderEvent,
  type LoaderRun,
  runLoader,
} from '../helpers/run-loader.ts';
import { makeTestPki, type TestPki } from '../helpers/tls.ts';
import { makeTempDir, randomBytesBuffer, sha256Hex, type TempDir } from '../helpers/tmp.ts';

const nobody = 65534;
const secrets = [fakeSignature, 'X-Amz-Signature'];

let server: ArtifactServer;
let tmp: TempDir;
let caseNumber = 0;
let outDir: string;
let target: string;
let terminationLog: string;
const artifact = randomBytesBuffer(512 * 1024 + 17);

before(async () => {
  server = await startArtifactServer();
  tmp = await makeTempDir('contract-');
});
after(async () => {
  await server.close();
  await tmp.cleanup();
});
beforeEach(async () => {
  server.setArtifact(artifact);
  server.schedule();
  server.requests.length = 0;
  caseNumber += 1;
  outDir = join(tmp.path, `case-${caseNumber}`);
  await mkdir(outDir, { mode: 0o755 });
  target = join(outDir, 'app.jar');
  terminationLog = join(tmp.path, `termination-${caseNumber}.log`);
  await writeFile(terminationLog, '');
});

/** The loader's own defaults but for a short backoff base, a longer deadline and no JAR check. */
function env(overrides: EnvOverrides = {}): Record<string, string> {
  return loaderEnv(
    { server, target, terminationLog },
    {
      LOADER_VERIFY_JAR: 'false',
      LOADER_BACKOFF_BASE_SECONDS: '0.05',
      LOADER_DEADLINE_SECONDS: '20',
      ...overrides,
    },
  );
}

async function run(
  overrides: Record<string, string> = {},
  extra: Parameters<typeof runLoader>[0] = {},
): Promise<LoaderRun> {
  const result = await runLoader({ env: env(overrides), ...extra });
  assertNoSecret(result, secrets);
  assert.doesNotMatch(await readFile(terminationLog, 'utf8'), new RegExp(fakeSignature));
  return result;
}

/**
 * Start-up (process start to the first request) is reported; its value is for the benchmarks.
 * Both it and the run's own duration are whole milliseconds within the process's life as
 * the parent saw it (spawn to exit; +1 for the rounding).
 */
function assertTimings(final: LoaderEvent, result: LoaderRun): void {
  for (const field of ['startupMs', 'durationMs']) {
    const value = final[field];
    assert.ok(Number.isInteger(value), `the final event reports ${field}: ${value}`);
    assert.ok(
      (value as number) >= 0 && (value as number) <= result.durationMs + 1,
      `${field} ${value} is outside the ${Math.round(result.durationMs)} ms the process lived`,
    );
  }
}

async function assertNothingWritten(): Promise<void> {
  assert.deepEqual(await readdir(outDir), [], 'the folder must hold no artifact and no temp file');
}

describe('contract: success', () => {
  it('publishes a byte-identical file, 0644, and logs start, progress and a final event', async () => {
    const result = await run();
    assert.equal(result.code, 0, result.stdout);
    assert.equal(sha256Hex(await readFile(target)), sha256Hex(artifact));
    assert.equal((await stat(target)).mode & 0o777, 0o644);
    assert.deepEqual((await readdir(outDir)).sort(), publishedNames(target));

    const [start] = result.events;
    assert.equal(start?.event, 'start');
    assert.equal(start?.url, `${server.origin}/artifacts/app.jar`);
    for (const event of result.events) {
      for (const field of ['ts', 'level', 'event', 'msg'])
        assert.ok(field in event, `${field} missing`);
    }
    // Progress: whole byte counts that never go back and never pass the file's size.
    const progress = result.events
      .filter((event) => event.event === 'progress')
      .map((event) => event.bytes);
    assert.ok(progress.length > 0, 'at least one progress event');
    assert.ok(
      progress.every(
        (bytes, index) =>
          Number.isInteger(bytes) &&
          (bytes as number) <= artifact.length &&
          (index === 0 || (bytes as number) >= (progress[index - 1] as number)),
      ),
      `progress: ${progress}`,
    );
    const done = lastEvent(result);
    assert.equal(done.event, 'done');
    assert.equal(done.outcome, 'downloaded');
    assert.equal(done.exitCode, 0);
    assert.equal(done.bytes, artifact.length);
    assert.equal(done.sha256, sha256Hex(artifact));
    assertTimings(done, result);
    assert.match(
      await readFile(terminationLog, 'utf8'),
      new RegExp(`^ok: .*sha256=${sha256Hex(artifact)}`),
    );

    const [request] = server.requests;
    assert.equal(server.requests.length, 1);
    assert.equal(request?.headers['accept-encoding'], 'identity');
    assert.match(String(request?.headers['user-agent']), /^runtime-loader\/\d+\.\d+\.\d+/);
    assert.equal(request?.headers.range, undefined);
  });

  it('follows a redirect (S3 answers 307) and keeps the redirect target secret too', async () => {
    server.route('/start', (_req, res) => {
      res.writeHead(307, { location: `/artifacts/app.jar?X-Amz-Signature=${fakeSignature}-hop` });
      res.end();
    });
    const result = await run({
      ARTIFACT_URL: `${server.origin}/start?X-Amz-Signature=${fakeSignature}`,
    });
    assert.equal(result.code, 0, result.stdout);
    assert.equal(sha256Hex(await readFile(target)), sha256Hex(artifact));
  });

  it('replaces a symlink planted at the target and leaves what it pointed to untouched', async () => {
    const victim = join(tmp.path, `victim-${caseNumber}.txt`);
    await writeFile(victim, 'precious');
    await symlink(victim, target);
    const result = await run();
    assert.equal(result.code, 0, result.stdout);
    assert.equal(await readFile(victim, 'utf8'), 'precious');
    assert.equal((await lstat(target)).isSymbolicLink(), false);
    assert.equal(sha256Hex(await readFile(target)), sha256Hex(artifact));
  });

  it('prints text lines instead of JSON when LOADER_LOG_FORMAT=text', async () => {
    const result = await run({ LOADER_LOG_FORMAT: 'text' });
    assert.equal(result.code, 0, result.stdout);
    assert.equal(result.events.length, 0);
    assert.match(result.stdout, /INFO +done: /);
  });
});

describe('contract: memory', () => {
  const mib = 1024 * 1024;
  const peakFor = async (sizeBytes: number, overrides: EnvOverrides) => {
    const body = randomBytesBuffer(sizeBytes);
    server.setArtifact(body);
    const result = await run(
      { ARTIFACT_EXPECTED_SIZE: String(sizeBytes), ...overrides },
      { timeoutMs: 60_000 },
    );
    assert.equal(result.code, 0, result.stdout);
    const peak = lastEvent(result).peakRssBytes;
    // A Node process never lives in less than 16 MiB: this catches a missing field or a unit slip.
    assert.ok(Number.isInteger(peak) && (peak as number) >= 16 * mib, `peakRssBytes ${peak}`);
    return peak as number;
  };

  it('keeps peak memory flat whatever the size (8 MiB vs 128 MiB), on one connection', async () => {
    const oneConnection = { LOADER_CONNECTIONS: '1' };
    const small = await peakFor(8 * mib, oneConnection);
    const large = await peakFor(128 * mib, oneConnection);
    // Buffering the body would add ~120 MiB; streaming adds only garbage awaiting collection.
    assert.ok(large - small < 48 * mib, `peak grew from ${small} to ${large} bytes`);
  });

  it('keeps it flat in parts too (8 MiB vs 128 MiB, both in 4 parts)', async () => {
    const inParts = { LOADER_PARALLEL_THRESHOLD_BYTES: String(8 * mib) };
    const small = await peakFor(8 * mib, inParts);
    const large = await peakFor(128 * mib, inParts);
    // Four streams make garbage faster (measured growth ~40 MiB), hence a wider margin;
    // parts buffered whole would still add ~120 MiB.
    assert.ok(large - small < 64 * mib, `peak grew from ${small} to ${large} bytes`);
  });
});

describe('contract: size', () => {
  it('fails with 5 before writing anything when Content-Length differs', async () => {
    const result = await run({ ARTIFACT_EXPECTED_SIZE: String(artifact.length + 1) });
    assert.equal(result.code, 5);
    assert.match(String(lastEvent(result).msg), /announces \d+ bytes.*ARTIFACT_EXPECTED_SIZE/);
    assert.equal(server.requests.length, 1, 'a size mismatch is not retried');
    await assertNothingWritten();
  });

  it('stops a body longer than expected with 5, writes nothing, and drops the connection early', async () => {
    server.schedule({ kind: 'oversize', extraBytes: 64 * 1024 * 1024 });
    const result = await run();
    assert.equal(result.code, 5, result.stdout);
    assert.match(String(lastEvent(result).msg), /more than the expected/);
    await assertNothingWritten();
    const [request] = server.requests;
    assert.equal(
      request?.clientAborted,
      true,
      'the loader must hang up rather than read the excess',
    );
    assert.ok((request?.bytesSent ?? 0) < artifact.length + 64 * 1024 * 1024);
  });

  it('fails when the connection closes early every time, with nothing at the target', async () => {
    server.schedule(
      ...Array.from({ length: 3 }, () => ({ kind: 'close' as const, afterBytes: 1000 })),
    );
    const result = await run({ LOADER_MAX_ATTEMPTS: '3' });
    assert.notEqual(result.code, 0);
    assert.equal(result.code, 4);
    assert.equal(server.requests.length, 3);
    await assertNothingWritten();
  });

  it('leaves an existing artifact untouched when the new download fails', async () => {
    await writeFile(target, 'the previous, verified jar');
    server.schedule({ kind: 'status', status: 404 });
    const result = await run();
    assert.equal(result.code, 3);
    assert.equal(await readFile(target, 'utf8'), 'the previous, verified jar');
    assert.deepEqual(await readdir(outDir), ['app.jar']);
  });
});

describe('contract: server rejections', () => {
  for (const status of [403, 404]) {
    it(`exits 3 on ${status} without retrying, and says so in the termination log`, async () => {
      server.schedule({ kind: 'status', status });
      const result = await run();
      assert.equal(result.code, 3);
      assert.equal(server.requests.length, 1);
      const failed = lastEvent(result);
      assert.equal(failed.event, 'failed');
      assert.equal(failed.exitCode, 3);
      assert.equal(failed.status, status);
      assertTimings(failed, result);
      assert.match(
        await readFile(terminationLog, 'utf8'),
        new RegExp(`^exit 3 ERR_REJECTED: .*${status}`),
      );
      await assertNothingWritten();
    });
  }
});

describe('contract: configuration', () => {
  for (const value of ['-1', '1.5', '10MB', '', String(2n ** 60n)]) {
    it(`exits 2 for ARTIFACT_EXPECTED_SIZE=${JSON.stringify(value)} naming the variable`, async () => {
      const result = await run({ ARTIFACT_EXPECTED_SIZE: value });
      assert.equal(result.code, 2);
      assert.match(String(lastEvent(result).msg), /ARTIFACT_EXPECTED_SIZE/);
      assert.equal(server.requests.length, 0);
      await assertNothingWritten();
    });
  }

  it('exits 2 when ARTIFACT_EXPECTED_SIZE is missing', async () => {
    const result = await runLoader({ env: env({ ARTIFACT_EXPECTED_SIZE: undefined }) });
    assert.equal(result.code, 2);
    assert.match(
      String(lastEvent(result).msg),
      /ARTIFACT_EXPECTED_SIZE \(or --expected-size\) is required/,
    );
    assert.equal(lastEvent(result).startupMs, undefined, 'no request was made, so no start-up');
  });

  it('exits 2 for a non-http scheme without echoing the URL', async () => {
    const result = await run({
      ARTIFACT_URL: `ftp://127.0.0.1/app.jar?X-Amz-Signature=${fakeSignature}`,
    });
    assert.equal(result.code, 2);
    assert.match(String(lastEvent(result).msg), /ARTIFACT_URL.*http/);
  });

  it('exits 2 for a password with an invalid percent-escape, naming ARTIFACT_URL, with no stack', async () => {
    const url = new URL(server.url());
    const result = await run({
      ARTIFACT_URL: `http://deploy:pa%zzword9@${url.host}${url.pathname}${url.search}`,
    });
    assert.equal(result.code, 2, result.stdout);
    const failed = lastEvent(result);
    assert.equal(failed.code, 'ERR_CONFIG');
    assert.match(String(failed.msg), /ARTIFACT_URL.*password.*percent-encoded/);
    assert.equal(failed.stack, undefined, 'a configuration error carries no stack');
    assertNoSecret(result, ['pa%zzword9', 'zzword9']);
    assert.equal(result.stderr, '');
    assert.equal(server.requests.length, 0);
    await assertNothingWritten();
  });

  it('takes the same settings as flags', async () => {
    const result = await runLoader({
      env: { LOADER_TERMINATION_LOG: terminationLog },
      args: [
        '--url',
        server.url(),
        '--expected-size',
        String(artifact.length),
        '--output',
        target,
        '--no-verify-jar',
      ],
    });
    assertNoSecret(result, secrets);
    assert.equal(result.code, 0, result.stdout);
    assert.equal(sha256Hex(await readFile(target)), sha256Hex(artifact));
  });

  it('prints --help and --version with exit 0', async () => {
    const help = await runLoader({ args: ['--help'] });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /ARTIFACT_EXPECTED_SIZE/);
    const version = await runLoader({ args: ['--version'] });
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  });
});

describe('contract: write failures', () => {
  it('exits 7 naming the folder when it is not writable by the loader user', async () => {
    // Runs as another uid: as root, permission bits would stop nothing.
    const result = await run({}, { uid: nobody, gid: nobody });
    assert.equal(result.code, 7, result.stdout);
    const failed = lastEvent(result);
    assert.match(
      String(failed.msg),
      new RegExp(`cannot write.*${outDir.replaceAll('/', '\\/')}.*EACCES`),
    );
    assert.equal(failed.folder, outDir);
    assert.equal(server.requests.length, 0, 'nothing is fetched that could not be written');
    await assertNothingWritten();
  });

  it('succeeds as that user once the folder belongs to it', async () => {
    await chown(outDir, nobody, nobody);
    const result = await run({}, { uid: nobody, gid: nobody });
    assert.equal(result.code, 0, result.stdout);
    const info = await stat(target);
    assert.equal(info.uid, nobody);
    assert.equal(info.mode & 0o777, 0o644);
  });
});

describe('contract: signals', () => {
  /** A slow download, sent `signals` at once on its first progress event. */
  async function signalled(...signals: NodeJS.Signals[]): Promise<LoaderRun> {
    server.schedule({ kind: 'slow', bytesPerChunk: 16 * 1024, delayMs: 50 });
    let sent = false;
    const result = await run(
      {},
      {
        onEvent: (event, child) => {
          if (!sent && event.event === 'progress') {
            sent = true;
            for (const signal of signals) child.kill(signal);
          }
        },
      },
    );
    assert.equal(sent, true, 'the download never reported progress');
    return result;
  }

  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`${signal} mid-download exits ${code} and removes the temp file`, async () => {
      const result = await signalled(signal);
      assert.equal(result.code, code, result.stdout);
      assert.equal(lastEvent(result).code, 'ERR_INTERRUPTED');
      await assertNothingWritten();
    });
  }

  it('a second signal abandons the run at once and still leaves the termination message', async () => {
    // Two different signals, so neither is merged into the other while pending.
    const result = await signalled('SIGTERM', 'SIGINT');
    assert.ok(result.code === 130 || result.code === 143, `exit ${result.code}`);
    const failed = lastEvent(result);
    assert.match(String(failed.msg), /a second signal: not waiting for cleanup/);
    assert.equal(
      await readFile(terminationLog, 'utf8'),
      `exit ${result.code} ERR_INTERRUPTED: ${failed.msg}`,
    );
  });
});

describe('contract: termination log', () => {
  it('a FIFO as LOADER_TERMINATION_LOG is never waited on: the run ends as it would, saying why nothing was written', async () => {
    const fifo = join(tmp.path, `termination-${caseNumber}.fifo`);
    execFileSync('mkfifo', [fifo]);
    const result = await runLoader({
      env: env({ LOADER_TERMINATION_LOG: fifo }),
      timeoutMs: 15_000,
    });
    assert.equal(result.code, 0, result.stdout);
    assert.equal(lastEvent(result).event, 'done');
    assert.equal(
      result.stderr,
      `runtime-loader: termination message not written: ${fifo} is a FIFO with no reader; expected a regular file\n`,
    );
  });
});

describe('contract: redirects across schemes', () => {
  let pki: TestPki;
  let secure: ArtifactServer;
  before(async () => {
    pki = await makeTestPki();
    secure = await startArtifactServer({ tls: pki });
  });
  after(async () => {
    await secure.close();
    await pki.cleanup();
  });

  it('refuses a redirect from https to http', async () => {
    secure.route('/down', (_req, res) => {
      res.writeHead(302, { location: server.url() });
      res.end();
    });
    const result = await run({
      ARTIFACT_URL: `${secure.origin}/down?X-Amz-Signature=${fakeSignature}`,
      NODE_EXTRA_CA_CERTS: pki.caCertPath,
    });
    assert.equal(result.code, 4, result.stdout);
    assert.match(String(lastEvent(result).msg), /refused a redirect from https to http/);
    assert.equal(server.requests.length, 0, 'the http target must never be contacted');
    await assertNothingWritten();
  });

  it('downloads over https from a private CA given by NODE_EXTRA_CA_CERTS', async () => {
    secure.setArtifact(artifact);
    const result = await run({ ARTIFACT_URL: secure.url(), NODE_EXTRA_CA_CERTS: pki.caCertPath });
    assert.equal(result.code, 0, result.stdout);
    assert.equal(sha256Hex(await readFile(target)), sha256Hex(artifact));
  });
});

describe('contract: edge cases found in review', () => {
  it('refuses a body sent with a Content-Encoding although identity was asked, publishing nothing', async () => {
    server.route('/gzipped', (_req, res) => {
      const body = gzipSync(artifact);
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': body.length });
      res.end(body);
    });
    const result = await run({
      ARTIFACT_URL: `${server.origin}/gzipped?X-Amz-Signature=${fakeSignature}`,
    });
    assert.equal(result.code, 4, result.stdout);
    assert.match(String(lastEvent(result).msg), /Content-Encoding "gzip"/);
    await assertNothingWritten();
  });

  it('retries a chunked body cut off on a connection marked close, and completes', async () => {
    let calls = 0;
    server.route('/chunked', (_req, res) => {
      calls += 1;
      res.writeHead(200, { connection: 'close', etag: '"chunked-v1"' });
      if (calls === 1) {
        res.write(artifact.subarray(0, 1000));
        setTimeout(() => res.socket?.destroy(), 20);
      } else {
        res.end(artifact);
      }
    });
    const result = await run({
      ARTIFACT_URL: `${server.origin}/chunked?X-Amz-Signature=${fakeSignature}`,
    });
    assert.equal(result.code, 0, result.stdout);
    assert.equal(calls, 2);
    assert.equal(sha256Hex(await readFile(target)), sha256Hex(artifact));
  });

  it('does not resume from a 206 whose Content-Range has no total size', async () => {
    const ranges: (string | undefined)[] = [];
    server.route('/star', (req, res) => {
      ranges.push(req.headers.range);
      if (ranges.length === 1) {
        res.writeHead(200, { 'content-length': artifact.length, etag: '"star-v1"' });
        res.write(artifact.subarray(0, 1000));
        setTimeout(() => res.socket?.destroy(), 20);
      } else if (ranges.length === 2) {
        res.writeHead(206, {
          'content-range': `bytes 1000-${artifact.length - 1}/*`,
          etag: '"star-v1"',
        });
        res.end(artifact.subarray(1000));
      } else {
        res.writeHead(200, { 'content-length': artifact.length, etag: '"star-v1"' });
        res.end(artifact);
      }
    });
    const result = await run({
      ARTIFACT_URL: `${server.origin}/star?X-Amz-Signature=${fakeSignature}`,
    });
    assert.equal(result.code, 0, result.stdout);
    assert.deepEqual(ranges, [undefined, 'bytes=1000-', undefined]);
    assert.ok(
      result.events.some(
        (event) => event.event === 'restart' && /no total size/.test(String(event.reason)),
      ),
    );
    assert.equal(sha256Hex(await readFile(target)), sha256Hex(artifact));
  });

  it('never echoes a signed URL given as a stray argument', async () => {
    const result = await runLoader({
      args: [server.url()],
      env: { LOADER_TERMINATION_LOG: terminationLog },
    });
    assertNoSecret(result, secrets);
    assert.equal(result.code, 2);
    assert.match(String(lastEvent(result).msg), /unexpected argument \(not shown/);
  });

  it('writes the termination message for a configuration error too', async () => {
    const result = await run({ ARTIFACT_EXPECTED_SIZE: '10MB' });
    assert.equal(result.code, 2);
    assert.match(
      await readFile(terminationLog, 'utf8'),
      /^exit 2 ERR_CONFIG: .*ARTIFACT_EXPECTED_SIZE/,
    );
  });

  it('sends URL credentials as Basic auth to their own origin only, never after a redirect elsewhere', async () => {
    const other = await startArtifactServer();
    try {
      other.setArtifact(artifact);
      server.route('/private', (req, res) => {
        if (
          req.headers.authorization !==
          `Basic ${Buffer.from('deploy:s3cr3t pass').toString('base64')}`
        ) {
          res.writeHead(401);
          res.end();
          return;
        }
        res.writeHead(307, { location: other.url() });
        res.end();
      });
      const url = `http://deploy:s3cr3t%20pass@127.0.0.1:${new URL(server.origin).port}/private?X-Amz-Signature=${fakeSignature}`;
      const result = await run({ ARTIFACT_URL: url });
      assert.equal(result.code, 0, result.stdout);
      assert.equal(
        other.requests[0]?.headers.authorization,
        undefined,
        'credentials leaked to another origin',
      );
      assert.doesNotMatch(result.stdout, /s3cr3t/);
    } finally {
      await other.close();
    }
  });

  it('fails with 7 before downloading when the target is a folder', async () => {
    await mkdir(target);
    const result = await run();
    assert.equal(result.code, 7, result.stdout);
    assert.match(String(lastEvent(result).msg), /target is a folder/);
    assert.equal(server.requests.length, 0);
  });

  it('reports attempts in the failed event when verification fails after the download', async () => {
    const result = await run({ ARTIFACT_SHA256: '0'.repeat(64) });
    assert.equal(result.code, 6);
    assert.equal(lastEvent(result).attempts, 1);
  });
});
