// Faults that once ended with exit 1 or a crash, and HTTP corners (issue 11): the built
// loader runs as a child process against real servers on loopback.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { buildJar } from '../../scripts/jar.ts';
import { loaderPath } from '../../scripts/loader-process.ts';
import { describeRun, eventsNamed, finalEvent, firstEventNamed } from '../helpers/events.ts';
import { fakeSignature } from '../helpers/fault-server.ts';
import { fastLoaderEnv } from '../helpers/loader-env.ts';
import { assertPublished } from '../helpers/published.ts';
import type { LoaderRun } from '../helpers/run-loader.ts';
import { scenario } from '../helpers/scenario.ts';
import { sha256Hex } from '../helpers/tmp.ts';

interface ClosedStdoutRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdoutBytes: number;
  stderr: string;
}

/** Runs the loader with its stdout on a real pipe that is closed after `keepBytes`, like `| head -c 50`. */
async function runWithStdoutClosedEarly(
  env: Record<string, string>,
  keepBytes: number,
): Promise<ClosedStdoutRun> {
  const child = spawn(process.execPath, [loaderPath], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
    killSignal: 'SIGKILL',
  });
  let stdoutBytes = 0;
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdoutBytes += chunk.length;
    // Closes the read end: the loader's next write gets EPIPE.
    if (stdoutBytes >= keepBytes) child.stdout.destroy();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return { code, signal, stdoutBytes, stderr };
}

describe('stdout closed by its reader', () => {
  it('a download goes on to exit 0 and leaves only the artifact', async () => {
    await using place = await scenario();
    // About a second of body, so that most log lines come after the pipe is closed.
    place.server.schedule({ kind: 'slow', bytesPerChunk: 16 * 1024, delayMs: 60 });
    const run = await runWithStdoutClosedEarly(fastLoaderEnv(place), 50);
    assert.equal(run.code, 0, `exit ${run.code} ${run.signal}\n${run.stderr}`);
    assert.match(run.stderr, /stdout was closed by its reader \(EPIPE\)/);
    assert.doesNotMatch(run.stderr, /Unhandled|at .*runtime-loader\.mjs/);
    await assertPublished(place.target, place.server.artifact);
  });

  it('a failing download still exits with its own code and removes its temp file', async () => {
    await using place = await scenario();
    // Part of the body, then silence: the stall timeout (0.5 s) ends the only attempt.
    place.server.schedule({ kind: 'stall', afterBytes: 100_000 });
    const run = await runWithStdoutClosedEarly(
      fastLoaderEnv(place, { LOADER_MAX_ATTEMPTS: '1' }),
      50,
    );
    assert.equal(run.code, 4, `exit ${run.code} ${run.signal}\n${run.stderr}`);
    assert.doesNotMatch(run.stderr, new RegExp(fakeSignature));
    assert.deepEqual(await readdir(place.dir.path).then((names) => names.sort()), [
      'out',
      'termination-log',
    ]);
    assert.deepEqual(await readdir(`${place.dir.path}/out`), [], 'no temp file is left');
  });
});

describe('two loaders on one target', () => {
  it("a second run leaves the first one's live temp file alone, and both publish the artifact", async () => {
    await using place = await scenario();
    // A real JAR, checked as by default: the check reads the temp file back.
    place.server.setArtifact(await buildJar({ payloadBytes: 256 * 1024 }));
    const env = {
      LOADER_VERIFY_JAR: 'true',
      LOADER_DEADLINE_SECONDS: '30',
      LOADER_STALL_TIMEOUT_SECONDS: '30',
    };
    // The first run's body stops after a quarter until the second run, served at once, has
    // ended: the second starts and sweeps while the first one writes, however busy the machine.
    let secondEnded = () => {};
    const until = new Promise<void>((resolve) => {
      secondEnded = resolve;
    });
    const afterBytes = Math.floor(place.server.artifact.length / 4);
    place.server.schedule({ kind: 'hold', afterBytes, until });
    let second: Promise<LoaderRun> | undefined;
    const first = await place.run(env, {
      onEvent: (event) => {
        if (event.event === 'progress' && second === undefined) {
          second = place.run(env).finally(secondEnded);
        }
      },
    });
    assert.ok(second, `the first run never reported progress:\n${describeRun(first)}`);
    const other = await second;
    assert.equal(other.code, 0, describeRun(other));
    assert.equal(first.code, 0, describeRun(first));
    // The overlap really happened: the second run saw the first one's file and kept it.
    const seen = firstEventNamed(other, 'temp-in-use');
    assert.equal((seen.files as string[]).length, 1, describeRun(other));
    assert.equal(eventsNamed(other, 'stale-temp-removed').length, 0);
    assert.equal(finalEvent(first).sha256, sha256Hex(place.server.artifact));
    await assertPublished(place.target, place.server.artifact);
  });
});

interface RawServer extends AsyncDisposable {
  readonly port: number;
  /** Requests received, counted by their request line. */
  readonly requests: string[];
}

/**
 * A TCP server on loopback that answers every request with exactly the bytes `respond`
 * gives for its head (request line and headers, lower-cased) and its number (from 0),
 * then closes the connection.
 */
async function startRawServer(
  respond: (head: string, index: number) => Buffer,
): Promise<RawServer> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (data: Buffer) => {
      head += data.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      requests.push(head.split('\r\n')[0] ?? '');
      socket.end(respond(head.toLowerCase(), requests.length - 1));
      head = '';
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    requests,
    [Symbol.asyncDispose]: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('HTTP corners', () => {
  it('a chunked body that ends cleanly but short is a size mismatch at once, not fetched again', async () => {
    await using place = await scenario();
    const short = place.server.artifact.subarray(0, place.server.artifact.length - 1000);
    place.server.route('/short', (_req, res) => {
      // No Content-Length: chunked, and ended properly with the last (empty) chunk.
      res.writeHead(200, { etag: '"short-v1"', 'accept-ranges': 'bytes' });
      res.write(short.subarray(0, 100_000));
      res.end(short.subarray(100_000));
    });
    const run = await place.run({
      ARTIFACT_URL: place.server.url(`/short?X-Amz-Signature=${fakeSignature}`),
    });
    assert.equal(run.code, 5, describeRun(run));
    const failed = finalEvent(run);
    assert.equal(failed.code, 'ERR_SIZE_MISMATCH');
    assert.match(
      String(failed.msg),
      new RegExp(
        `complete answer that ends after ${short.length} of the expected ${place.server.artifact.length} bytes .*chunked body ended with the last chunk`,
      ),
    );
    assert.equal(failed.receivedBytes, short.length);
    assert.equal(eventsNamed(run, 'retry').length, 0, 'the same answer would come again');
    assert.equal(place.server.requests.length, 1);
    assert.deepEqual(await readdir(`${place.dir.path}/out`), [], 'nothing written');
  });

  it('a chunked body that breaks off before its last chunk is resumed from the kept bytes', async () => {
    await using place = await scenario();
    const artifact = place.server.artifact;
    const ranges: (string | undefined)[] = [];
    place.server.route('/broken', (req, res) => {
      ranges.push(req.headers.range);
      if (ranges.length === 1) {
        res.writeHead(200, { etag: '"broken-v1"', 'accept-ranges': 'bytes' });
        res.write(artifact.subarray(0, 100_000));
        // No last chunk: the connection just goes away.
        setTimeout(() => res.socket?.destroy(), 50);
        return;
      }
      const rest = artifact.subarray(100_000);
      res.writeHead(206, {
        etag: '"broken-v1"',
        'content-range': `bytes 100000-${artifact.length - 1}/${artifact.length}`,
        'content-length': rest.length,
      });
      res.end(rest);
    });
    const run = await place.run({
      ARTIFACT_URL: place.server.url(`/broken?X-Amz-Signature=${fakeSignature}`),
    });
    assert.equal(run.code, 0, describeRun(run));
    assert.deepEqual(ranges, [undefined, 'bytes=100000-']);
    assert.equal(finalEvent(run).resumedBytes, 100_000);
    await assertPublished(place.target, artifact);
  });

  describe('a body without a length (HTTP/1.0 style) cut short by a close is retried as a break-off', () => {
    const artifact = randomBytes(1000);
    const env = (port: number, overrides: Record<string, string> = {}) => ({
      ARTIFACT_URL: `http://127.0.0.1:${port}/app.jar?X-Amz-Signature=${fakeSignature}`,
      ARTIFACT_EXPECTED_SIZE: String(artifact.length),
      ...overrides,
    });
    const answer = (head: string, body: Buffer) =>
      Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), body]);
    const closedAfter900 =
      /the connection closed after 900 of the expected 1000 bytes \(ARTIFACT_EXPECTED_SIZE\) with no length framing .*so the end cannot be told from a break-off/;

    it('with a strong ETag, the next attempt resumes and a 206 completes the file', async () => {
      await using place = await scenario();
      const heads: string[] = [];
      await using raw = await startRawServer((head, index) => {
        heads.push(head);
        if (index === 0) return answer('HTTP/1.0 200 OK\r\nETag: "v1"', artifact.subarray(0, 900));
        return answer(
          'HTTP/1.0 206 Partial Content\r\nETag: "v1"\r\nContent-Range: bytes 900-999/1000\r\nContent-Length: 100',
          artifact.subarray(900),
        );
      });
      const run = await place.run(env(raw.port));
      assert.equal(run.code, 0, describeRun(run));
      await assertPublished(place.target, artifact);
      const [retry, ...more] = eventsNamed(run, 'retry');
      assert.equal(more.length, 0, describeRun(run));
      assert.equal(retry?.errorCode, 'CLOSED_WITHOUT_LENGTH');
      assert.match(String(retry?.reason), closedAfter900);
      assert.equal(retry?.keptBytes, 900);
      assert.match(heads[1] ?? '', /\r\nrange: bytes=900-\r\n/);
      assert.match(heads[1] ?? '', /\r\nif-range: "v1"\r\n/);
      assert.equal(finalEvent(run).resumedBytes, 900);
      assert.equal(finalEvent(run).attempts, 2);
    });

    it('without a validator, the next attempt starts over and the whole answer completes the file', async () => {
      await using place = await scenario();
      const heads: string[] = [];
      await using raw = await startRawServer((head, index) => {
        heads.push(head);
        return answer('HTTP/1.0 200 OK', index === 0 ? artifact.subarray(0, 900) : artifact);
      });
      const run = await place.run(env(raw.port));
      assert.equal(run.code, 0, describeRun(run));
      await assertPublished(place.target, artifact);
      assert.match(String(firstEventNamed(run, 'retry').reason), closedAfter900);
      assert.match(String(firstEventNamed(run, 'restart').reason), /no strong validator/);
      assert.doesNotMatch(heads[1] ?? '', /\r\nrange:/);
      assert.equal(finalEvent(run).resumedBytes, 0);
    });

    it('a server that always closes short fails after the attempt budget as a fetch failure (exit 4), not a size mismatch', async () => {
      await using place = await scenario();
      await using raw = await startRawServer(() =>
        answer('HTTP/1.0 200 OK', artifact.subarray(0, 900)),
      );
      const run = await place.run(env(raw.port, { LOADER_MAX_ATTEMPTS: '3' }));
      assert.equal(run.code, 4, describeRun(run));
      const failed = finalEvent(run);
      assert.equal(failed.code, 'ERR_FETCH');
      assert.equal(failed.errorCode, 'CLOSED_WITHOUT_LENGTH');
      assert.match(String(failed.msg), closedAfter900);
      assert.equal(failed.attempts, 3);
      assert.equal(eventsNamed(run, 'retry').length, 2);
      assert.equal(raw.requests.length, 3);
      assert.deepEqual(await readdir(`${place.dir.path}/out`), [], 'nothing written');
    });
  });

  it('a repeated Content-Length fails at once with the true reason, not as a short body', async () => {
    await using place = await scenario();
    const body = randomBytes(1000);
    await using raw = await startRawServer(() =>
      Buffer.concat([
        Buffer.from(
          'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Length: 1000\r\nETag: "v1"\r\nConnection: close\r\n\r\n',
          'latin1',
        ),
        body,
      ]),
    );
    const run = await place.run({
      ARTIFACT_URL: `http://127.0.0.1:${raw.port}/app.jar?X-Amz-Signature=${fakeSignature}`,
      ARTIFACT_EXPECTED_SIZE: '1000',
    });
    assert.equal(run.code, 4, describeRun(run));
    const failed = finalEvent(run);
    assert.match(String(failed.msg), /repeated or malformed Content-Length header \(RFC 9112/);
    assert.doesNotMatch(run.stdout, /shorter than its Content-Length/);
    assert.equal(failed.errorCode, 'INVALID_CONTENT_LENGTH');
    assert.equal(eventsNamed(run, 'retry').length, 0, 'nothing to retry');
    assert.equal(raw.requests.length, 1, raw.requests.join('\n'));
    assert.deepEqual(await readdir(`${place.dir.path}/out`), [], 'nothing written');
  });
});
