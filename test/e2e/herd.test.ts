// A herd of loaders against one `serve` with a small bound on transfers: every
// one is turned away at first, told when to come back, and all end byte-identical.
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { signUrl } from '../../src/signing/sign-url.ts';
import { describeRun, eventsNamed, finalEvent } from '../helpers/events.ts';
import { holdTransfer } from '../helpers/hold-transfer.ts';
import { runLoader } from '../helpers/run-loader.ts';
import { startServeProcess } from '../helpers/serve-process.ts';
import { makeTempDir, randomBytesBuffer } from '../helpers/tmp.ts';

const secret = 'h'.repeat(44);
const loaders = 30;

describe('a herd of loaders against serve with a bound on transfers', () => {
  it('turns every loader away at first with Retry-After, and all of them end byte-identical', async () => {
    await using tmp = await makeTempDir('herd-');
    const served = join(tmp.path, 'served');
    await mkdir(served);
    const artifact = randomBytesBuffer(256 * 1024);
    await writeFile(join(served, 'app.jar'), artifact);
    // Larger than loopback's socket buffers: a reader that stops holds its transfer. Sparse.
    await writeFile(join(served, 'hold.bin'), '');
    await truncate(join(served, 'hold.bin'), 128 * 1024 * 1024);
    const secretFile = join(tmp.path, 'secret');
    await writeFile(secretFile, secret);
    await chmod(secretFile, 0o600);
    await using server = await startServeProcess({
      dir: served,
      secretFile,
      // Every loader here shares 127.0.0.1; in a cluster each pod has an address of its own.
      args: ['--max-transfers', '2', '--max-transfers-per-client', '2'],
    });
    const url = (path: string) =>
      signUrl({ baseUrl: server.origin, path, ttlSeconds: 600, secret });

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
    const requests = server.lines
      .map((line) => JSON.parse(line) as { event?: string; status?: number; path?: string })
      .filter((event) => event.event === 'request' && event.path === '/app.jar');
    assert.equal(requests.filter((event) => event.status === 200).length, loaders);
    assert.ok(requests.filter((event) => event.status === 503).length >= loaders);
  });
});
