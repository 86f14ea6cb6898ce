// Issue 21 in the consumer's shape: the loader image on Docker with the orchestrator's exact
// HostConfig (replayed through the Engine API, see orchestrator.ts) pulling an oci://
// reference from a registry on 127.0.0.1 (Debian's docker-registry), then the JVM main
// container running what it put on the volume. Two artifacts: the app JAR pushed as
// `oras push` pushes it, and an image built by this Docker itself from `FROM scratch` +
// `COPY app.jar /app.jar` and pushed by `docker push`. The registry speaks plain HTTP, so
// LOADER_REGISTRY_PLAIN_HTTP names it (loopback gets no special case). Docker pass only.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Engine, expectSuccess } from '../scripts/engine.ts';
import { pushArtifact } from '../test/helpers/registry/artifact.ts';
import { orasArtifact } from '../test/helpers/registry/oras.ts';
import { type Registry, startRegistry } from '../test/helpers/registry/registry.ts';
import { makeTempDir } from '../test/helpers/tmp.ts';
import { DockerApi } from './docker-api.ts';
import { forEnginePass } from './engine-pass.ts';
import { prepareImages, type TestImages } from './images.ts';
import { appGreeting, appMainClass, buildJvmApp } from './jvm-app.ts';
import { deployReplica, detectHostSecurity, type HostSecurity } from './orchestrator.ts';

const runLabel = 'io.runtime-loader.test-run';
const runId = `rl-oci-${process.pid}-${randomBytes(3).toString('hex')}`;

await forEnginePass('docker', "an oci:// reference in the consumer's Docker shape", describeOci);

function describeOci(engine: Engine): void {
  describe("oci:// in the consumer's Docker shape (issue 21)", { timeout: 900_000 }, () => {
    let api: DockerApi;
    let images: TestImages;
    let security: HostSecurity;
    let registry: Registry;
    let app: Buffer;
    let builtImage = '';
    let pushedDigest = '';

    before(async () => {
      api = await DockerApi.connect();
      images = await prepareImages(engine);
      security = await detectHostSecurity(api);
      app = await buildJvmApp();
      registry = await startRegistry();
      await pushArtifact(registry, 'team/app', '1.0', orasArtifact(app));
      // The consumer's own image: built and pushed by Docker, not by a test helper.
      await using context = await makeTempDir('runtime-loader-oci-image-');
      await writeFile(join(context.path, 'app.jar'), app);
      await writeFile(join(context.path, 'Dockerfile'), 'FROM scratch\nCOPY app.jar /app.jar\n');
      builtImage = `${registry.host}/team/app-image:1.0`;
      expectSuccess(
        await engine.exec([
          'build',
          '--label',
          `${runLabel}=${runId}`,
          '-t',
          builtImage,
          context.path,
        ]),
        `docker build ${builtImage}`,
      );
      const pushed = expectSuccess(
        await engine.exec(['push', builtImage]),
        `docker push ${builtImage}`,
      );
      pushedDigest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed)?.[1] ?? '';
      assert.notEqual(pushedDigest, '', pushed);
      console.log(`# ${images.log}; docker push ${builtImage}: ${pushedDigest}`);
    });

    after(async () => {
      if (builtImage !== '') await engine.exec(['rmi', builtImage]);
      await registry?.stop();
      if (api === undefined) return;
      const left = await api.listLabelled(runLabel, runId);
      assert.deepEqual(left, { containers: [], volumes: [] }, 'the replay removes what it made');
    });

    const cases = [
      {
        name: 'the JAR pushed as oras pushes it, by tag, then java -jar /app/jars/app.jar',
        id: 'oras',
        url: () => `oci://${registry.host}/team/app:1.0`,
        exitCode: 0,
        appCommand: ['java', '-jar', '/app/jars/app.jar', '-jar'],
      },
      {
        name: `the image docker built and pushed, by digest, then java -cp ... ${appMainClass}`,
        id: 'image',
        url: () => `oci://${registry.host}/team/app-image@${pushedDigest}`,
        exitCode: 0,
        appCommand: ['java', '-cp', '/app/jars/app.jar', appMainClass, '-cp'],
      },
      {
        name: 'a tag the registry does not have: exit 3, its code in what the consumer keeps',
        id: 'unknown',
        url: () => `oci://${registry.host}/team/app:9.9`,
        exitCode: 3,
        appCommand: undefined,
      },
    ] as const;

    describe('replicas', { concurrency: true }, () => {
      for (const spec of cases) {
        test(spec.name, async () => {
          const outcome = await deployReplica(api, security, {
            name: `${runId}-${spec.id}`,
            loaderImage: images.loaderImage,
            appImage: images.appImage,
            url: spec.url(),
            expectedSizeBytes: app.length,
            extraEnv: { LOADER_REGISTRY_PLAIN_HTTP: registry.host },
            appCommand: spec.appCommand ?? ['java', '-jar', '/app/jars/app.jar'],
            labels: { [runLabel]: runId },
          });
          const { loader } = outcome;
          console.log(
            `# case "${spec.name}": loader exit ${loader.exitCode} after ${loader.durationMs} ms${outcome.app === undefined ? '' : `; app exit ${outcome.app.exitCode} after ${outcome.app.durationMs} ms`}`,
          );
          const diagnostics = `--- loader log ---\n${outcome.loaderLogs}`;
          assert.equal(loader.exitCode, spec.exitCode, diagnostics);
          if (spec.appCommand !== undefined) {
            assert.match(outcome.loaderLogs, /"event":"resolve"/, diagnostics);
            assert.ok(outcome.app !== undefined);
            assert.equal(outcome.app.exitCode, 0, outcome.app.logs);
            assert.ok(
              outcome.app.logs.includes(`${appGreeting} as ${spec.appCommand.at(-1)}`),
              outcome.app.logs,
            );
            console.log(`# ${spec.id}: the app printed ${JSON.stringify(outcome.app.logs.trim())}`);
          } else {
            assert.equal(outcome.app, undefined, 'no main container after a failed loader');
            const failed = (loader.capturedTail ?? '')
              .split('\n')
              .filter((line) => line.includes('"event":"failed"'))
              .at(-1);
            assert.match(failed ?? '', /"errorCode":"MANIFEST_UNKNOWN"/, diagnostics);
          }
        });
      }
    });
  });
}
