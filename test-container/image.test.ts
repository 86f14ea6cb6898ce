// The real image on a real engine: pulled from a registry by digest when
// LOADER_IMAGE_REF is set (what .ci/run does, after scripts/release-image.ts pushed
// it), or built from the repository's Dockerfile on local base images, run with the
// orchestrator's hardening flags against an artifact server on loopback. With
// LOADER_IMAGE_PLATFORM=linux/arm64 it is the arm64 image under qemu: the core cases
// run, the negative control (a local build of a Dockerfile variant) does not.
// Needs podman or docker; see scripts/engine.ts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { detectEngine, type Engine, type ExecResult, expectSuccess } from '../scripts/engine.ts';
import { buildJar } from '../scripts/jar.ts';
import { makeBaseImages } from '../scripts/make-base-image.ts';
import { hostArch } from '../scripts/node-for-arch.ts';
import { assertLicenceTexts, packagesInBundle } from '../test/helpers/bundle-contents.ts';
import {
  type ArtifactServer,
  fakeSignature,
  startArtifactServer,
} from '../test/helpers/fault-server.ts';
import { scannerReads } from '../test/helpers/scanner-globs.ts';
import { engineRequired, skipLoudly } from './engine-pass.ts';
import { jarsMountPath, loaderHardeningFlags } from './hardening.ts';
import { buildImage, dockerfileWithoutOwnershipFix, repoRoot } from './image-build.ts';
import { emulated, packageVersion, platformUnderTest, prepareLoaderImage } from './images.ts';
import { jsonLines, mainContainerUser, Sandbox } from './sandbox.ts';

const execFileAsync = promisify(execFile);
const imageWithoutOwnershipFix = 'localhost/runtime-loader:test-without-ownership-fix';
const suiteTimeoutMs = 600_000;

const detection = await detectEngine();

if (!detection.ok) {
  const banner = `container tests need podman or docker: ${detection.reason}`;
  if (engineRequired) {
    test('a container engine is available (required: CI=true or CONTAINER_ENGINE set)', () => {
      assert.fail(
        `${banner}. Install one (Debian: apt-get install -y podman runc) or set CONTAINER_ENGINE.`,
      );
    });
  } else {
    test('runtime-loader image', { skip: skipLoudly('runtime-loader image', banner) }, () => {});
  }
} else {
  describeImage(detection.engine);
}

function describeImage(engine: Engine): void {
  describe(`runtime-loader image (${engine.name} ${engine.version})`, {
    timeout: suiteTimeoutMs,
  }, () => {
    const sandbox = new Sandbox(engine);
    let server: ArtifactServer | undefined;
    let artifact: Buffer = Buffer.alloc(0);
    let artifactSha256 = '';
    let version = '';
    let image = '';
    let fromRegistry = false;

    before(async () => {
      const started = performance.now();
      version = await packageVersion();
      const loader = await prepareLoaderImage(engine);
      image = loader.image;
      fromRegistry = loader.fromRegistry;
      console.log(`# ${loader.log}`);

      // The negative control: the same Dockerfile and context, minus `--chown`, built here.
      if (!emulated) {
        const bases = await makeBaseImages(engine);
        const work = await mkdtemp(join(tmpdir(), 'runtime-loader-dockerfile-'));
        try {
          const dockerfile = join(work, 'Dockerfile');
          await writeFile(dockerfile, await dockerfileWithoutOwnershipFix());
          await buildImage(engine, { tag: imageWithoutOwnershipFix, bases, version, dockerfile });
        } finally {
          await rm(work, { recursive: true, force: true });
        }
      }

      artifact = await buildJar({ payloadBytes: 2 * 1024 * 1024 });
      artifactSha256 = createHash('sha256').update(artifact).digest('hex');
      server = await startArtifactServer();
      server.setArtifact(artifact);
      // An object store answers an expired signature with 403 and an XML error.
      server.route('/artifacts/expired.jar', (_request, response) => {
        response.writeHead(403, { 'content-type': 'application/xml' });
        response.end(
          '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>',
        );
      });

      const imageSizeBytes = Number(
        expectSuccess(
          await engine.exec(['image', 'inspect', '--format', '{{.Size}}', image], {
            timeoutMs: 30_000,
          }),
          'image inspect',
        ).trim(),
      );
      const bundleSizeBytes = (await stat(join(repoRoot, 'dist/runtime-loader.mjs'))).size;
      console.log(
        `# engine ${engine.name} ${engine.version}; image ${image} (${platformUnderTest}) ready in ${Math.round(performance.now() - started)} ms`,
      );
      console.log(
        `# image ${image}: ${imageSizeBytes} bytes (${(imageSizeBytes / 1e6).toFixed(1)} MB); bundle dist/runtime-loader.mjs: ${bundleSizeBytes} bytes`,
      );
    });

    after(async () => {
      await server?.close();
      await sandbox.cleanup();
    });

    const describeRun = (result: ExecResult) =>
      `exit ${result.exitCode ?? result.signal}${result.timedOut ? ' (timed out)' : ''}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;

    /**
     * Runs the loader on `volume`, logs one line for the CI log (exit code and
     * final event), and checks the exit code and that the URL's signature
     * appears nowhere in the output.
     */
    const runLoaderCase = async (
      name: string,
      options: { image: string; volume: string; url: string; sizeBytes: number; exitCode: number },
    ): Promise<ExecResult> => {
      assert.ok(server !== undefined);
      const result = await sandbox.runLoader(options.image, options.volume, {
        ARTIFACT_URL: options.url,
        ARTIFACT_EXPECTED_SIZE: String(options.sizeBytes),
      });
      const last = jsonLines(result.stdout).at(-1);
      console.log(
        `# ${name}: exit ${result.exitCode} in ${result.durationMs} ms (startupMs ${last?.startupMs}, peakRssBytes ${last?.peakRssBytes}); ${JSON.stringify(last?.msg ?? null)}`,
      );
      assert.equal(result.exitCode, options.exitCode, describeRun(result));
      assert.ok(
        !`${result.stdout}${result.stderr}`.includes(fakeSignature),
        'the URL signature appears in the loader output',
      );
      return result;
    };

    test('image: non-root user, exec-form entrypoint, OCI labels, /app/jars owned by 1000:1000 0755', async () => {
      const format = '{{json .Config}}';
      const config = JSON.parse(
        expectSuccess(
          await engine.exec(['image', 'inspect', '--format', format, image], { timeoutMs: 30_000 }),
          'image inspect',
        ),
      ) as { User: string; Entrypoint: string[]; Labels: Record<string, string> };
      assert.equal(config.User, '1000:1000');
      assert.deepEqual(config.Entrypoint, [
        '/nodejs/bin/node',
        '--max-semi-space-size=1',
        '/app/runtime-loader.mjs',
      ]);
      for (const label of ['title', 'version', 'licenses']) {
        assert.ok(
          config.Labels[`org.opencontainers.image.${label}`],
          `label org.opencontainers.image.${label}`,
        );
      }
      // The release fills these (scripts/release-image.ts); a local build leaves them empty.
      const releaseLabels = ['revision', 'created', 'base.name', 'base.digest'];
      for (const label of releaseLabels) {
        assert.ok(`org.opencontainers.image.${label}` in config.Labels, `label ${label}`);
      }
      if (fromRegistry) {
        const label = (name: string) => config.Labels[`org.opencontainers.image.${name}`] ?? '';
        const git = async (...args: string[]) =>
          (await execFileAsync('git', args, { cwd: repoRoot })).stdout.trim();
        assert.equal(label('revision'), await git('rev-parse', 'HEAD'), 'the commit tested');
        assert.equal(
          label('created'),
          new Date(await git('show', '-s', '--format=%cI', 'HEAD')).toISOString(),
          "the commit's time",
        );
        assert.match(label('base.digest'), /^sha256:[0-9a-f]{64}$/);
        assert.ok(label('base.name') !== '', 'base.name');
      }
      // Left to the release pipeline (--label), never a placeholder.
      assert.equal(config.Labels['org.opencontainers.image.source'], undefined);
      assert.ok(!JSON.stringify(config.Labels).includes('example.com'), 'no placeholder label');
      assert.equal(config.Labels['org.opencontainers.image.version'], version);
      const volume = await sandbox.createVolume('fresh');
      const view = await sandbox.readVolume(image, volume);
      assert.deepEqual(
        view.dir,
        { uid: 1000, gid: 1000, mode: '755' },
        'a fresh volume takes /app/jars from the image',
      );
      assert.deepEqual(view.entries, []);
    });

    test('start-up: the compile cache baked into the image is taken, read-only', async () => {
      const report = await sandbox.compileCacheReport(image);
      assert.match(
        report,
        /V8 code cache for ESM file:\/\/\/app\/runtime-loader\.mjs was accepted/,
      );
      assert.doesNotMatch(report, /persisting .* to /, 'nothing is written at run time');
    });

    test("supply chain: LICENSE, the licence texts and an SBOM beside the bundle, listing every bundled package at its locked version and the image's node", async () => {
      const app = await sandbox.readAppFiles(image);
      assert.equal(app.arch, platformUnderTest === 'linux/arm64' ? 'arm64' : 'x64');
      const license = app.files['/app/LICENSE'] ?? '';
      assert.equal(license, await readFile(join(repoRoot, 'LICENSE'), 'utf8'));
      const held = await packagesInBundle();
      await assertLicenceTexts(app.files['/app/THIRD-PARTY-LICENSES.txt'] ?? '', held);
      // Where the scanners look: at least one file in the image they read is our SBOM.
      const sboms = Object.keys(app.files).filter((path) => {
        const reads = scannerReads(path);
        return reads.trivy && reads.syft;
      });
      assert.deepEqual(sboms, ['/app/runtime-loader.cdx.json'], 'the one SBOM Trivy and Syft read');
      const bom = JSON.parse(app.files['/app/runtime-loader.cdx.json'] ?? '{}') as {
        specVersion: string;
        components: { name: string; version: string; purl: string; type: string }[];
      };
      assert.equal(bom.specVersion, '1.6');
      const npm = bom.components.filter((component) => component.purl.startsWith('pkg:npm/'));
      assert.deepEqual(
        npm.map(({ purl }) => purl).sort(),
        held.map(({ purl }) => purl),
        'every package the bundle holds, at its locked version',
      );
      const node = bom.components.find((component) => component.name === 'node');
      assert.equal(node?.version, app.node, "the runtime: the image's own node");
      assert.equal(node?.purl, `pkg:generic/node@${app.node}`);
    });

    test('success: exit 0; the main container (another uid, read-only mount) reads the same bytes', async () => {
      assert.ok(server !== undefined);
      const volume = await sandbox.createVolume('success');
      const url = server.url();
      await runLoaderCase('success', {
        image,
        volume,
        url,
        sizeBytes: artifact.length,
        exitCode: 0,
      });

      const view = await sandbox.readVolume(image, volume);
      assert.deepEqual(
        view.entries,
        ['.app.jar.verified.json', 'app.jar'],
        'app.jar and its verification record: no temp file left behind',
      );
      assert.ok(view.jar !== undefined);
      assert.equal(view.jar.sha256, artifactSha256, `sha256 as read by ${mainContainerUser}`);
      assert.equal(view.jar.sizeBytes, artifact.length);
      assert.equal(view.jar.mode, '644', 'world-readable, so any main-container uid can read it');
      assert.equal(view.jar.uid, 1000);
    });

    test('read-only root: the loader user can write /app/jars and nothing else, without --tmpfs', async () => {
      assert.ok(!loaderHardeningFlags.some((flag) => flag.startsWith('--tmpfs')));
      const volume = await sandbox.createVolume('probe');
      const jarsProbe = `${jarsMountPath}/.probe`;
      const outcomes = await sandbox.probeWrites(image, volume, [
        jarsProbe,
        '/probe',
        '/app/probe',
        '/app/runtime-loader.mjs',
        '/tmp/probe',
        '/var/tmp/probe',
        '/run/probe',
        '/home/probe',
      ]);
      const { [jarsProbe]: jarsOutcome, ...elsewhere } = outcomes;
      assert.equal(jarsOutcome, 'writable');
      for (const [path, outcome] of Object.entries(elsewhere)) {
        assert.notEqual(outcome, 'writable', `${path} must not be writable`);
      }
    });

    test('wrong ARTIFACT_EXPECTED_SIZE: exit 5 and no app.jar in the volume', async () => {
      assert.ok(server !== undefined);
      const volume = await sandbox.createVolume('size');
      const url = server.url();
      const sizeBytes = artifact.length - 1;
      await runLoaderCase('wrong size', { image, volume, url, sizeBytes, exitCode: 5 });
      const view = await sandbox.readVolume(image, volume);
      assert.ok(
        !view.entries.includes('app.jar'),
        `app.jar must not exist; found ${view.entries.join(', ')}`,
      );
      assert.deepEqual(view.entries, [], 'no temp file left behind either');
    });

    test('expired signed URL (403): exit 3', async () => {
      assert.ok(server !== undefined);
      const volume = await sandbox.createVolume('forbidden');
      const url = server.url(`/artifacts/expired.jar?X-Amz-Signature=${fakeSignature}`);
      await runLoaderCase('403', { image, volume, url, sizeBytes: artifact.length, exitCode: 3 });
      const view = await sandbox.readVolume(image, volume);
      assert.deepEqual(view.entries, []);
    });

    const negativeControl =
      'negative control: without the ownership fix the loader exits 7 naming /app/jars';
    const skipNegative = skipLoudly(
      negativeControl,
      emulated &&
        `the ${platformUnderTest} pass runs the core cases; the negative control checks the Dockerfile, not the architecture, and runs in the linux/${hostArch()} passes (docker and podman)`,
    );
    test(negativeControl, { skip: skipNegative }, async () => {
      assert.ok(server !== undefined);
      const volume = await sandbox.createVolume('no-chown');
      const view = await sandbox.readVolume(imageWithoutOwnershipFix, volume);
      assert.equal(view.dir.uid, 0, 'without the fix the fresh volume is root-owned');

      const result = await runLoaderCase('negative control', {
        image: imageWithoutOwnershipFix,
        volume,
        url: server.url(),
        sizeBytes: artifact.length,
        exitCode: 7,
      });
      const errors = jsonLines(result.stdout).filter((record) => record.level === 'error');
      assert.ok(
        errors.some((record) => String(record.msg).includes(jarsMountPath)),
        `an error log line names ${jarsMountPath}\n${describeRun(result)}`,
      );
    });
  });
}
