// A herd of loaders against one `serve` with a small bound on transfers: every
// one is turned away at first, told when to come back, and all end byte-identical.
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type ServeProcess, startServeProcess } from '../../scripts/loader-process.ts';
import { signUrl } from '../../src/urls/sign-url.ts';
import { describeRun, eventsNamed, finalEvent } from '../helpers/events.ts';
import { holdTransfer } from '../helpers/hold-transfer.ts';
import { runLoader } from '../helpers/run-loader.ts';
import { makeTempDir, randomBytesBuffer } from '../helpers/tmp.ts';

const secret = 'h'.repeat(44);
const loaders = 30;

/** `serve` with at most `maxTransfers` transfers in flight, a signed URL for a path it serves, and its artifact. */
interface BoundServe extends AsyncDisposable {
  readonly server: ServeProcess;
  url(path: string): string;
  readonly artifact: Buffer;
}

/**
 * Starts `serve --max-transfers N` on a folder under `tmp` with `app.jar` (256 KiB) and
 * `hold.bin`, larger than loopback's socket buffers (sparse), so that a reader that stops
 * holds its transfer.
 */
async function serveWithBound(tmp: string, maxTransfers: number): Promise<BoundServe> {
  const dir = join(tmp, 'served');
  await mkdir(dir);
  const artifact = randomBytesBuffer(256 * 1024);
  await writeFile(join(dir, 'app.jar'), artifact);
  await writeFile(join(dir, 'hold.bin'), '');
  await truncate(join(dir, 'hold.bin'), 128 * 1024 * 1024);
  const secretFile = join(tmp, 'secret');
  await writeFile(secretFile, secret);
  await chmod(secretFile, 0o600);
  const server = await startServeProcess({
    dir,
    secretFile,
    // Every loader here shares 127.0.0.1; in a cluster each pod has an address of its own.
    args: [
      '--max-transfers',
      String(maxTransfers),
      '--max-transfers-per-client',
      String(maxTransfers),
    ],
  });
  return {
    server,
    url: (path) => signUrl({ baseUrl: server.origin, path, ttlSeconds: 600, secret }),
    artifact,
    [Symbol.asyncDispose]: () => server[Symbol.asyncDispose](),
  };
}

/** The access log's `request` events for `path`. */
function requestsFor(lines: string[], path: string): { status?: number }[] {
  return lines
    .map((line) => JSON.parse(line) as { event?: string; status?: number; path?: string })
    .filter((event) => event.event === 'request' && event.path === path);
}

describe('a herd of loaders against serve with a bound on transfers', () => {
  it('turns every loader away at first with Retry-After, and all of them end byte-identical', async () => {
    await using tmp = await makeTempDir('herd-');
    await using bound = await serveWithBound(tmp.path, 2);
    const { server, url, artifact } = bound;

    // Both slots are taken until every loader has been turned away once, so each of them
    // meets the bound however slowly thirty processes start on a busy machine.
    const held = [await holdTransfer(url('/hold.bin')), await holdTransfer(url('/hold.bin'))];
    for (const transfer of held) assert.match(transfer.statusLine, / 200 /);
    const turnedAway = new Set<number>();
    const releaseWhenAllTurnedAway = () => {
      if (turnedAway.size === loaders) for (const transfer of held) transfer.release();
    };

    const runs = await Promise.all(
      Array.from({ length: loaders }, async (_, index) => {
        const folder = join(tmp.path, `replica-${index}`);
        await mkdir(folder);
        return runLoader({
          env: {
            ARTIFACT_URL: url('/app.jar'),
            ARTIFACT_EXPECTED_SIZE: String(artifact.length),
            ARTIFACT_PATH: join(folder, 'app.jar'),
            LOADER_VERIFY_JAR: 'false',
            LOADER_LOG_FORMAT: 'json',
            // Early starters keep coming back while the last ones start: room for that.
            LOADER_MAX_ATTEMPTS: '100',
            LOADER_BACKOFF_MAX_SECONDS: '2',
            LOADER_DEADLINE_SECONDS: '150',
          },
          timeoutMs: 160_000,
          onEvent: (event) => {
            if (event.event === 'retry' && event.status === 503) {
              turnedAway.add(index);
              releaseWhenAllTurnedAway();
            }
          },
        });
      }),
    );

    for (const [index, run] of runs.entries()) {
      assert.equal(run.code, 0, `replica ${index}: ${describeRun(run)}`);
      const published = await readFile(join(tmp.path, `replica-${index}`, 'app.jar'));
      assert.ok(published.equals(artifact), `replica ${index}: published bytes differ`);
      const busy = eventsNamed(run, 'retry').filter((event) => event.status === 503);
      assert.ok(busy.length >= 1, `replica ${index} was never turned away`);
      // The server's Retry-After (at least 1 s) replaced the loader's own 50 ms backoff.
      for (const event of busy) assert.ok(Number(event.delayMs) >= 1000, describeRun(run));
      assert.equal(finalEvent(run).attempts, busy.length + 1, describeRun(run));
    }
    assert.equal(await server.stop(), 0);
    const requests = requestsFor(server.lines, '/app.jar');
    assert.equal(requests.filter((event) => event.status === 200).length, loaders);
    assert.ok(requests.filter((event) => event.status === 503).length >= loaders);
  });
});

describe('a loader paced by a busy serve (issue 19)', () => {
  it('waits its turn: 503s with Retry-After do not spend LOADER_MAX_ATTEMPTS', async () => {
    await using tmp = await makeTempDir('paced-');
    await using bound = await serveWithBound(tmp.path, 1);
    const { server, url, artifact } = bound;
    // The one slot is taken until the loader has been paced three times: more than its budget.
    const held = await holdTransfer(url('/hold.bin'));
    assert.match(held.statusLine, / 200 /);
    const pacedToRelease = 3;
    let paced = 0;
    const target = join(tmp.path, 'out', 'app.jar');
    try {
      const run = await runLoader({
        env: {
          ARTIFACT_URL: url('/app.jar'),
          ARTIFACT_EXPECTED_SIZE: String(artifact.length),
          ARTIFACT_PATH: target,
          LOADER_VERIFY_JAR: 'false',
          LOADER_LOG_FORMAT: 'json',
          LOADER_MAX_ATTEMPTS: '2',
          LOADER_BACKOFF_BASE_SECONDS: '0.05',
          LOADER_BACKOFF_MAX_SECONDS: '2',
          LOADER_DEADLINE_SECONDS: '60',
        },
        timeoutMs: 70_000,
        onEvent: (event) => {
          if (event.event !== 'retry' || event.status !== 503) return;
          paced += 1;
          if (paced === pacedToRelease) held.release();
        },
      });
      assert.equal(run.code, 0, describeRun(run));
      assert.deepEqual(await readFile(target), artifact);
      const retries = eventsNamed(run, 'retry');
      assert.ok(retries.length >= pacedToRelease, describeRun(run));
      for (const retry of retries) {
        assert.equal(retry.status, 503, describeRun(run));
        assert.equal(retry.paced, true, describeRun(run));
        assert.match(
          String(retry.msg),
          /paced by the server \(not counted against LOADER_MAX_ATTEMPTS\)/,
        );
      }
      assert.equal(finalEvent(run).attempts, retries.length + 1);
      // Stopped first, so every request the server answered is in its access log.
      held.release();
      assert.equal(await server.stop(), 0);
      const requests = requestsFor(server.lines, '/app.jar');
      assert.deepEqual(
        requests.map((request) => request.status),
        [...retries.map(() => 503), 200],
      );
    } finally {
      held.release();
    }
  });
});
