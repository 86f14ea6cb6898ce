// The loader and the reference server together, as the demo and the benchmarks use them.
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startServeProcess } from '../../scripts/loader-process.ts';
import { signUrl } from '../../src/urls/sign-url.ts';
import { startCuttingRelay } from '../helpers/cutting-relay.ts';
import { finalEvent } from '../helpers/events.ts';
import { assertNothingPublished } from '../helpers/published.ts';
import { assertNoSecret, runLoader } from '../helpers/run-loader.ts';
import { makeTempDir, randomBytesBuffer } from '../helpers/tmp.ts';

const secret = 'q'.repeat(44);
const fast = {
  LOADER_VERIFY_JAR: 'false',
  LOADER_LOG_FORMAT: 'json',
  LOADER_BACKOFF_BASE_SECONDS: '0.05',
  LOADER_DEADLINE_SECONDS: '20',
};

/** Runs the loader for `url` into a fresh folder `out/` of `folder`. */
async function load(url: string, sizeBytes: number, folder: string) {
  const target = join(folder, 'out', 'app.jar');
  await mkdir(join(folder, 'out'));
  const run = await runLoader({
    env: {
      ...fast,
      ARTIFACT_URL: url,
      ARTIFACT_EXPECTED_SIZE: String(sizeBytes),
      ARTIFACT_PATH: target,
    },
  });
  return { run, target };
}

async function servedFolder(artifact: Buffer) {
  const tmp = await makeTempDir('served-');
  const secretFile = join(tmp.path, '.secret');
  await writeFile(secretFile, secret);
  await chmod(secretFile, 0o600);
  await writeFile(join(tmp.path, 'app.jar'), artifact);
  return { tmp, secretFile };
}

describe('the loader against the reference server', () => {
  it('resumes after a mid-body reset with Range + If-Range and ends byte-identical', async () => {
    const artifact = randomBytesBuffer(4 * 1024 * 1024);
    const { tmp, secretFile } = await servedFolder(artifact);
    await using _ = tmp;
    await using server = await startServeProcess({ dir: tmp.path, secretFile });
    // The first connection breaks after headers and about 40% of the body.
    await using relay = await startCuttingRelay(server.origin, [1_700_000]);
    const url = signUrl({ baseUrl: relay.origin, path: '/app.jar', ttlSeconds: 300, secret });
    const { run, target } = await load(url, artifact.length, tmp.path);
    assert.equal(run.code, 0, run.stdout);
    assert.ok((await readFile(target)).equals(artifact), 'published bytes differ');
    const done = finalEvent(run);
    assert.equal(done.attempts, 2);
    // An RST drops what was still queued towards the loader, so less than the relay passed arrives.
    assert.ok(Number(done.resumedBytes) > 0, `resumedBytes ${done.resumedBytes}`);
    assert.equal(relay.bytesPerConnection.length, 2, 'one reconnect');
    assert.ok(
      (relay.bytesPerConnection[1] ?? 0) < artifact.length,
      'the second request fetched only the rest',
    );
    const requests = server.lines
      .map((line) => JSON.parse(line))
      .filter((event) => event.event === 'request');
    assert.deepEqual(
      requests.map((event) => [event.status, event.range === undefined ? 'whole' : 'range']),
      [
        [200, 'whole'],
        [206, 'range'],
      ],
    );
    const signature = new URL(url).searchParams.get('rl-signature') ?? '';
    assertNoSecret(run, [signature]);
    assert.ok(!server.lines.join('\n').includes(signature));
  });

  it('exits 3 for an expired URL and publishes nothing', async () => {
    const artifact = randomBytesBuffer(1024);
    const { tmp, secretFile } = await servedFolder(artifact);
    await using _ = tmp;
    await using server = await startServeProcess({ dir: tmp.path, secretFile });
    const url = signUrl({
      baseUrl: server.origin,
      path: '/app.jar',
      expiresAt: new Date(Date.now() - 3600_000),
      secret,
    });
    const { run, target } = await load(url, artifact.length, tmp.path);
    assert.equal(run.code, 3, run.stdout);
    const failed = finalEvent(run);
    assert.equal(failed.attempts, 1, 'a 403 is not retried');
    assert.match(String(failed.serverReason), /^Request has expired \(at /);
    assert.match(String(failed.msg), /403 Forbidden \(server says: "Request has expired/);
    await assertNothingPublished(target);
    assertNoSecret(run, [new URL(url).searchParams.get('rl-signature') ?? '']);
  });
});
