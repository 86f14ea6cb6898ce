// The consumer's orchestrator replayed through the Docker Engine API (HTTP over
// /var/run/docker.sock, as docker-java speaks it): fresh volume, the loader with
// the consumer's HostConfig and 120 s wait, the last 50 lines / 4096 characters
// on failure, then the JVM main container on the read-only volume. Every setting
// of the loader is its default: only ARTIFACT_URL and ARTIFACT_EXPECTED_SIZE are set.
// Runs in the Docker pass of the container tests (CONTAINER_ENGINE=docker).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../scripts/engine.ts';
import { buildJar } from '../scripts/jar.ts';
import { type ConsumerServer, closedPortUrl, startConsumerServer } from './consumer-server.ts';
import { DockerApi } from './docker-api.ts';
import { forEnginePass } from './engine-pass.ts';
import { prepareImages, type TestImages } from './images.ts';
import { appGreeting, appMainClass, buildJvmApp } from './jvm-app.ts';
import {
  capturedTailChars,
  capturedTailLines,
  deployReplica,
  detectHostSecurity,
  type HostSecurity,
  loaderHostConfig,
  loaderWaitMs,
  type ReplicaOutcome,
  usernsMode,
} from './orchestrator.ts';

const runLabel = 'io.runtime-loader.test-run';
const runId = `rl-api-${process.pid}-${randomBytes(3).toString('hex')}`;

await forEnginePass('docker', 'Engine API replay of the orchestrator', describeReplay);

interface Case {
  readonly name: string;
  readonly id: string;
  readonly url: () => string;
  readonly sizeBytes: () => number;
  readonly exitCode: number;
  /** The loader's own reason, to be found in what the consumer captured. */
  readonly reason?: RegExp;
  readonly appCommand?: readonly string[];
  readonly check?: (outcome: ReplicaOutcome) => void;
}

function describeReplay(engine: Engine): void {
  describe('the orchestrator, replayed through the Engine API', { timeout: 900_000 }, () => {
    let api: DockerApi;
    let images: TestImages;
    let security: HostSecurity;
    let server: ConsumerServer;
    let app: Buffer;
    let fixture: Buffer;
    let stalling: Buffer;
    let missingUrl = '';
    const timings: string[] = [];

    before(async () => {
      api = await DockerApi.connect();
      images = await prepareImages(engine);
      security = await detectHostSecurity(api);
      app = await buildJvmApp();
      // The consumer's contract-test fixture: 1 KiB, content unknown. No zip signature.
      fixture = randomBytes(1024);
      for (let at = fixture.indexOf('PK'); at !== -1; at = fixture.indexOf('PK', at)) {
        fixture[at] = 0x51;
      }
      server = await startConsumerServer();
      server.put('app', app);
      server.put('fixture', fixture);
      server.put('silent', app, 'never-answer');
      stalling = await buildJar({ payloadBytes: 256 * 1024 });
      server.put('stalling', stalling, 'stall-mid-body');
      missingUrl = await closedPortUrl();
      console.log(
        `# Docker ${api.serverVersion} (API ${api.apiVersion}) over the unix socket; ${images.log}`,
      );
      console.log(`# ${security.note}`);
      console.log(
        `# HostConfig of phase 1: ${JSON.stringify(loaderHostConfig('VOLUME', security))}`,
      );
    });

    after(async () => {
      await server?.close();
      if (api === undefined) return;
      const left = await api.listLabelled(runLabel, runId);
      for (const timing of timings) console.log(timing);
      assert.deepEqual(left, { containers: [], volumes: [] }, 'the replay removes what it made');
    });

    test(`UsernsMode ${usernsMode}: what this daemon does with it`, async () => {
      const created = await api.createContainer(`${runId}-userns`, {
        Image: images.loaderImage,
        Entrypoint: ['/nodejs/bin/node', '-e'],
        Cmd: [
          "console.log(JSON.stringify({uid: process.getuid(), uidMap: require('fs').readFileSync('/proc/self/uid_map','utf8').trim().split(/\\s+/).map(Number)}))",
        ],
        Labels: { [runLabel]: runId },
        HostConfig: { ...loaderHostConfig(`${runId}-userns`, security), Binds: [] },
      });
      try {
        await api.startContainer(created.Id);
        assert.equal(await api.waitContainer(created.Id, 60_000), 0);
        const inspected = await api.inspectContainer<{ HostConfig: { UsernsMode: string } }>(
          created.Id,
        );
        const seen = JSON.parse((await api.logs(created.Id, 5)).trim()) as {
          uid: number;
          uidMap: number[];
        };
        const hostNamespace = seen.uidMap.join(' ') === '0 0 4294967295';
        console.log(
          `# UsernsMode "${inspected.HostConfig.UsernsMode}" is accepted and kept by the daemon; inside, uid ${seen.uid}, uid_map "${seen.uidMap.join(' ')}": ${hostNamespace ? 'no user namespace (the host one): Docker reads only the "host" before the first colon, so ":1000:65536" does nothing here' : 'a user namespace was made'}`,
        );
        assert.equal(inspected.HostConfig.UsernsMode, usernsMode);
        assert.equal(seen.uid, 1000, 'the image user');
      } finally {
        await api.removeContainer(created.Id);
      }
    });

    const cases: Case[] = [
      {
        name: 'success, then java -jar /app/jars/app.jar',
        id: 'jar',
        url: () => server.signedUrl('app'),
        sizeBytes: () => app.length,
        exitCode: 0,
        appCommand: ['java', '-jar', '/app/jars/app.jar', '-jar'],
      },
      {
        name: `success, then java -cp /app/jars/app.jar ${appMainClass}`,
        id: 'cp',
        url: () => server.signedUrl('app'),
        sizeBytes: () => app.length,
        exitCode: 0,
        appCommand: ['java', '-cp', '/app/jars/app.jar', appMainClass, '-cp'],
      },
      {
        name: "the consumer's contract test: a 1 KiB fixture of arbitrary bytes",
        id: 'fixture',
        url: () => server.signedUrl('fixture'),
        sizeBytes: () => fixture.length,
        exitCode: 0,
        check: (outcome) =>
          assert.match(outcome.loaderLogs, /"event":"not-a-jar"/, 'the not-a-jar warning'),
      },
      {
        name: 'expired signature: 401',
        id: 'expired',
        url: () => server.signedUrl('app', -60),
        sizeBytes: () => app.length,
        exitCode: 3,
        reason: /401/,
      },
      {
        name: 'wrong ARTIFACT_EXPECTED_SIZE',
        id: 'size',
        url: () => server.signedUrl('app'),
        sizeBytes: () => app.length + 1,
        exitCode: 5,
        reason: /size/,
      },
      {
        name: 'nothing listening',
        id: 'refused',
        url: () => missingUrl,
        sizeBytes: () => app.length,
        exitCode: 4,
        reason: /connection refused/,
      },
      {
        name: 'a server that accepts and never answers',
        id: 'silent',
        url: () => server.signedUrl('silent'),
        sizeBytes: () => app.length,
        exitCode: 4,
        reason: /no response headers within the stall timeout/,
      },
      {
        name: 'a server that stalls mid-body',
        id: 'stalling',
        url: () => server.signedUrl('stalling'),
        sizeBytes: () => stalling.length,
        exitCode: 4,
        reason: /no data received within the stall timeout/,
      },
    ];

    // The replicas run at once, as an orchestrator starts several: the run takes
    // as long as the slowest case, not the sum.
    describe('replicas', { concurrency: true }, () => {
      for (const spec of cases) {
        test(spec.name, async () => {
          const outcome = await deployReplica(api, security, {
            name: `${runId}-${spec.id}`,
            loaderImage: images.loaderImage,
            appImage: images.appImage,
            url: spec.url(),
            expectedSizeBytes: spec.sizeBytes(),
            appCommand: spec.appCommand ?? ['java', '-jar', '/app/jars/app.jar'],
            labels: { [runLabel]: runId },
          });
          const { loader } = outcome;
          timings.push(
            `# case "${spec.name}": loader exit ${loader.exitCode ?? 'none (wait ran out)'} after ${loader.durationMs} ms${loader.tailChars === undefined ? '' : ` (last ${capturedTailLines} lines: ${loader.tailChars} characters)`}${outcome.app === undefined ? '' : `; app exit ${outcome.app.exitCode} after ${outcome.app.durationMs} ms`}${loader.warnings.length === 0 ? '; no create warnings' : `; create warnings: ${loader.warnings.join(' | ')}`}`,
          );
          const diagnostics = `--- loader log ---\n${outcome.loaderLogs}`;
          assert.notEqual(
            loader.exitCode,
            undefined,
            `the loader outlasted the ${loaderWaitMs / 1000} s wait\n${diagnostics}`,
          );
          assert.equal(loader.exitCode, spec.exitCode, diagnostics);
          assert.ok(!outcome.loaderLogs.includes('sig='), 'the signature is never logged');
          if (spec.exitCode === 0) {
            if (spec.appCommand !== undefined) {
              assert.ok(outcome.app !== undefined);
              assert.equal(outcome.app.exitCode, 0, outcome.app.logs);
              assert.ok(
                outcome.app.logs.includes(`${appGreeting} as ${spec.appCommand.at(-1)}`),
                outcome.app.logs,
              );
              console.log(
                `# ${spec.id}: the app printed ${JSON.stringify(outcome.app.logs.trim())}`,
              );
            }
          } else {
            assert.equal(outcome.app, undefined, 'no main container after a failed loader');
            const tail = loader.capturedTail ?? '';
            assert.ok(tail.split('\n').filter(Boolean).length <= capturedTailLines);
            assert.ok(tail.length <= capturedTailChars);
            assert.ok(spec.reason !== undefined);
            assert.match(tail, spec.reason, `the loader's reason in the captured tail:\n${tail}`);
            const failed = tail
              .split('\n')
              .filter((line) => line.includes('"event":"failed"'))
              .at(-1);
            assert.ok(failed !== undefined, `the final failed event is in the tail:\n${tail}`);
            // The last line alone says why: what a one-line error report keeps.
            assert.match(failed, spec.reason, 'the failed event itself carries the reason');
          }
          spec.check?.(outcome);
        });
      }
    });
  });
}
