// deploy/docker/run.sh and deploy/docker/compose.yaml, run for real on Docker with
// the JVM app, unchanged: only their documented variables are set. This daemon
// has no bridge network (dockerd --bridge=none), so run.sh gets NETWORK=host and
// compose an override file that puts both services on the host network, which
// reaches the test's server on 127.0.0.1. Runs in the docker pass.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Engine, execCommand, findOnPath } from '../scripts/engine.ts';
import { type ConsumerServer, startConsumerServer } from './consumer-server.ts';
import { forEnginePass, inCi, skipLoudly } from './engine-pass.ts';
import { repoRoot } from './image-build.ts';
import { prepareImages, type TestImages } from './images.ts';
import { appGreeting, buildJvmApp } from './jvm-app.ts';

const runScript = join(repoRoot, 'deploy/docker/run.sh');
const composeFile = join(repoRoot, 'deploy/docker/compose.yaml');

await forEnginePass('docker', 'deploy/docker examples', describeExamples);

function describeExamples(engine: Engine): void {
  describe('deploy/docker examples on Docker, with the JVM app', { timeout: 600_000 }, () => {
    let images: TestImages;
    let server: ConsumerServer;
    let app: Buffer;
    let work = '';
    const runId = `rl-ex-${process.pid}-${randomBytes(3).toString('hex')}`;

    before(async () => {
      images = await prepareImages(engine);
      app = await buildJvmApp();
      server = await startConsumerServer();
      server.put('app', app);
      work = await mkdtemp(join(tmpdir(), 'runtime-loader-examples-'));
      console.log(`# ${images.log}`);
    });

    after(async () => {
      await server?.close();
      if (work !== '') await rm(work, { recursive: true, force: true });
    });

    const volumeExists = async (name: string) =>
      (await engine.exec(['volume', 'inspect', name], { timeoutMs: 30_000 })).exitCode === 0;

    const runSh = (volume: string, url: string) =>
      execCommand('bash', [runScript], engine.env, {
        timeoutMs: 180_000,
        extraEnv: {
          ARTIFACT_URL: url,
          ARTIFACT_EXPECTED_SIZE: String(app.length),
          APP_IMAGE: images.appImage,
          LOADER_IMAGE: images.loaderImage,
          NETWORK: 'host',
          VOLUME: volume,
        },
      });

    test('run.sh: the loader, then java -jar; the volume it created is gone after', async () => {
      const volume = `${runId}-run-ok`;
      const result = await runSh(volume, server.signedUrl('app'));
      console.log(`# run.sh success: exit ${result.exitCode} in ${result.durationMs} ms`);
      assert.equal(result.exitCode, 0, `${result.stdout}\n${result.stderr}`);
      assert.match(result.stdout, new RegExp(`${appGreeting} as`));
      assert.match(result.stdout, /"event":"done"/);
      assert.equal(await volumeExists(volume), false, 'run.sh removes its volume');
    });

    test('run.sh: an expired URL stops at the loader (exit 3), no app, volume removed', async () => {
      const volume = `${runId}-run-expired`;
      const result = await runSh(volume, server.signedUrl('app', -60));
      console.log(`# run.sh expired URL: exit ${result.exitCode} in ${result.durationMs} ms`);
      assert.equal(result.exitCode, 3, `${result.stdout}\n${result.stderr}`);
      assert.match(result.stdout, /401/);
      assert.doesNotMatch(result.stdout, new RegExp(appGreeting));
      assert.equal(await volumeExists(volume), false, 'run.sh removes its volume on failure too');
    });

    const compose = findOnPath('docker-compose', engine.env);
    const composeTitle = 'compose.yaml: the app starts only after the loader completed';
    test(composeTitle, {
      skip: skipLoudly(
        composeTitle,
        compose === undefined && !inCi && 'docker-compose is not installed',
      ),
    }, async () => {
      assert.ok(
        compose !== undefined,
        'docker-compose is required in CI (apt-get install docker-compose)',
      );
      const override = join(work, 'host-network.yaml');
      await writeFile(
        override,
        'services:\n  runtime-loader:\n    network_mode: host\n  app:\n    network_mode: host\n',
      );
      const project = runId;
      const env = {
        ARTIFACT_URL: server.signedUrl('app'),
        ARTIFACT_EXPECTED_SIZE: String(app.length),
        LOADER_IMAGE: images.loaderImage,
        APP_IMAGE: images.appImage,
      };
      const files = ['-f', composeFile, '-f', override, '-p', project];
      try {
        const up = await execCommand(compose, [...files, 'up', '--no-color'], engine.env, {
          timeoutMs: 180_000,
          extraEnv: env,
        });
        console.log(`# compose up: exit ${up.exitCode} in ${up.durationMs} ms`);
        assert.equal(up.exitCode, 0, `${up.stdout}\n${up.stderr}`);
        const logs = await execCommand(compose, [...files, 'logs', '--no-color'], engine.env, {
          timeoutMs: 60_000,
          extraEnv: env,
        });
        assert.match(logs.stdout, new RegExp(`app_1 .*${appGreeting} as`), logs.stdout);
        assert.match(logs.stdout, /runtime-loader_1 .*"event":"done"/);
        const states = await execCommand(compose, [...files, 'ps', '-a'], engine.env, {
          timeoutMs: 60_000,
          extraEnv: env,
        });
        assert.match(states.stdout, /runtime-loader_1 .*Exit 0/, states.stdout);
        assert.match(states.stdout, /app_1 .*Exit 0/, states.stdout);
      } finally {
        const down = await execCommand(compose, [...files, 'down', '--volumes'], engine.env, {
          timeoutMs: 120_000,
          extraEnv: env,
        });
        assert.equal(down.exitCode, 0, down.stderr);
      }
      assert.equal(
        await volumeExists(`${project}_app-jars`),
        false,
        'compose down -v removes the volume',
      );
    });
  });
}
