// deploy/kubernetes/serve.yaml for real, under `podman kube play`: its
// Deployment's pod template with only the image name changed (and the restart
// policy and volume names, see kube-play.ts), on the host network. The claim
// becomes a podman named volume holding a JAR, the signing-key Secret a folder
// with its file. The pod starts, /healthz answers through the host network
// without a signature, a signed URL gets the JAR, an unsigned one 403, and the
// access log holds the transfers but no probe. What podman makes of the probes
// is printed: it is not the kubelet. Runs in the podman pass.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { type Engine, expectSuccess } from '../scripts/engine.ts';
import { queryParameter } from '../src/urls/canonical.ts';
import { signUrl } from '../src/urls/sign-url.ts';
import { httpGet } from '../test/helpers/http-get.ts';
import { forEnginePass } from './engine-pass.ts';
import { repoRoot } from './image-build.ts';
import { packageVersion, prepareLoaderImage, publishedImageName } from './images.ts';
import { type PlayedPod, playManifest } from './kube-play.ts';

const manifestPath = join(repoRoot, 'deploy/kubernetes/serve.yaml');
const jar = randomBytes(256 * 1024);

await forEnginePass('podman', 'deploy/kubernetes/serve.yaml under podman kube play', describeServe);

/** The Deployment's claim, Secret, port and probe path, read from the manifest itself. */
interface ServeManifest {
  readonly claimName: string;
  readonly secretName: string;
  readonly secretKey: string;
  readonly port: number;
  readonly probePath: string;
}

function describeServe(engine: Engine): void {
  describe('deploy/kubernetes/serve.yaml under podman kube play', { timeout: 300_000 }, () => {
    const runId = `${process.pid}`;
    const volumeName = `runtime-loader-artifacts-${runId}`;
    const key = randomBytes(32).toString('base64');
    let manifest: ServeManifest;
    let pod: PlayedPod | undefined;
    let origin = '';

    before(async () => {
      manifest = await readManifest();
      origin = `http://127.0.0.1:${manifest.port}`;
      await assertPortFree(manifest.port);
      const loader = await prepareLoaderImage(engine);
      console.log(`# ${loader.log}`);
      console.log(
        '# podman is not the kubelet: (1) the Deployment is played as one Pod of its template on the host network (no Service, no PodDisruptionBudget, one replica); (2) the claim is a podman named volume filled from the host; (3) the Secret volume is a folder with its file, mode 0444 (podman 4.3 crashes on secret volumes, and applies no fsGroup; the kubelet makes it root-owned 0440, group 1000); (4) the probes: see the lines below.',
      );
      expectSuccess(
        await engine.exec(['volume', 'create', volumeName], { timeoutMs: 30_000 }),
        `podman volume create ${volumeName}`,
      );
      const mountpoint = expectSuccess(
        await engine.exec(['volume', 'inspect', '--format', '{{.Mountpoint}}', volumeName], {
          timeoutMs: 30_000,
        }),
        `podman volume inspect ${volumeName}`,
      ).trim();
      await writeFile(join(mountpoint, 'app.jar'), jar, { mode: 0o644 });
      pod = await playManifest(engine, {
        manifestPath,
        images: { [`${publishedImageName}:${await packageVersion()}`]: loader.image },
        restartPolicy: 'Always',
        secrets: { [manifest.secretName]: { [manifest.secretKey]: `${key}\n` } },
        claims: { [manifest.claimName]: volumeName },
        podName: `artifact-server-${runId}`,
      });
      assert.equal(pod.play.exitCode, 0, `${pod.play.stdout}\n${pod.play.stderr}`);
    });

    after(async () => {
      await pod?.down();
      await engine.exec(['volume', 'rm', '--force', volumeName], { timeoutMs: 60_000 });
    });

    test('the pod starts and /healthz answers through the host network, without a signature', async () => {
      assert.ok(pod !== undefined);
      const started = performance.now();
      const probe = await firstAnswer(`${origin}${manifest.probePath}`);
      console.log(
        `# /healthz answered ${probe.status} ${JSON.stringify(probe.body.toString())} ${Math.round(performance.now() - started)} ms after kube play returned`,
      );
      assert.equal(probe.status, 200);
      assert.equal(probe.body.toString(), 'ok\n');
      const head = await httpGet(`${origin}${manifest.probePath}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(await pod.state('serve'), 'running');
      const facts = await inspect(engine, pod, 'serve');
      assert.equal(facts.user, '1000:1000', 'runs as 1000:1000');
      assert.equal(facts.readOnly, true, 'read-only root file system');
    });

    test('it serves the claim through signed URLs only, and logs transfers but no probe', async () => {
      assert.ok(pod !== undefined);
      await firstAnswer(`${origin}${manifest.probePath}`);
      const url = signUrl({ baseUrl: origin, path: '/app.jar', ttlSeconds: 300, secret: key });
      const signed = await httpGet(url);
      assert.equal(signed.status, 200);
      assert.ok(signed.body.equals(jar), 'the JAR of the volume, byte for byte');
      assert.equal((await httpGet(`${origin}/app.jar`)).status, 403, 'no signature, no file');
      for (let probe = 0; probe < 3; probe++) await httpGet(`${origin}${manifest.probePath}`);
      // The log line of the last transfer is the cue: the probes before it would be there too.
      await httpGet(url, { method: 'HEAD' });
      const events = await logEvents(pod, (all) =>
        all.some((event) => event.event === 'request' && event.method === 'HEAD'),
      );
      const requests = events.filter((event) => event.event === 'request');
      // Sorted: a transfer is logged when its response is done, which may come after the next request's.
      assert.deepEqual(
        requests.map((event) => `${event.method} ${event.path} ${event.status}`).sort(),
        ['GET /app.jar 200', 'GET /app.jar 403', 'HEAD /app.jar 200'],
      );
      const secretWarning = events.find((event) => event.event === 'secret-file-open');
      console.log(
        `# serve's log: ${events.length} events, ${requests.length} requests, no probe; secret-file-open ${secretWarning === undefined ? 'not logged' : 'logged (the key file is group-readable, as the kubelet makes it too)'}`,
      );
      const signature = new URL(url).searchParams.get(queryParameter.signature) ?? '';
      assert.ok(signature.length > 0);
      assert.ok(!(await pod.logs('serve')).includes(signature), 'no signature in the log');
    });

    test('the probes under podman: what it makes of them, said loudly', async () => {
      assert.ok(pod !== undefined);
      const facts = await inspect(engine, pod, 'serve');
      const run = await engine.exec(['healthcheck', 'run', `${pod.podName}-serve`], {
        timeoutMs: 60_000,
      });
      const afterRun = await firstAnswer(`${origin}${manifest.probePath}`);
      const restarts = (await pod.inspect('serve'))?.restartCount;
      console.warn(
        [
          '',
          '!'.repeat(78),
          'NOT RUN UNDER PODMAN: the readiness and liveness probes as the kubelet runs them.',
          "podman 4.3 ignores readinessProbe. It turns the livenessProbe's httpGet into a",
          `healthcheck command run inside the container, ${JSON.stringify(facts.healthcheck)}:`,
          'a shell running curl, on port 0 (with ports dropped, the named port "http" names nothing).',
          'The image is distroless, with neither, so the check cannot pass:',
          `\`podman healthcheck run\` exits ${run.exitCode} (${(run.stdout + run.stderr).trim().slice(0, 200)}); restarts since: ${restarts}.`,
          "The kubelet sends the probe's GET from the node to the pod's IP instead, which is",
          `what this test does from the host network: /healthz answered ${afterRun.status}.`,
          '!'.repeat(78),
          '',
        ].join('\n'),
      );
      assert.notEqual(
        run.exitCode,
        0,
        "if podman's check passes, this test's account of it is wrong",
      );
      assert.equal(afterRun.status, 200, 'the server still answers after podman ran its check');
    });
  });
}

async function readManifest(): Promise<ServeManifest> {
  const objects = parseAllDocuments(await readFile(manifestPath, 'utf8')).map(
    (document) => document.toJS() as Record<string, never>,
  );
  type Pod = {
    containers: {
      ports: { containerPort: number }[];
      livenessProbe: { httpGet: { path: string } };
    }[];
    volumes: {
      persistentVolumeClaim?: { claimName: string };
      secret?: { secretName: string; items: { key: string }[] };
    }[];
  };
  const deployment = objects.find((object) => object.kind === 'Deployment') as
    | { spec: { template: { spec: Pod } } }
    | undefined;
  const pod = deployment?.spec.template.spec;
  const container = pod?.containers[0];
  const claimName = pod?.volumes.find((v) => v.persistentVolumeClaim)?.persistentVolumeClaim
    ?.claimName;
  const secret = pod?.volumes.find((v) => v.secret)?.secret;
  const port = container?.ports[0]?.containerPort;
  const probePath = container?.livenessProbe.httpGet.path;
  const secretKey = secret?.items[0]?.key;
  assert.ok(claimName && secret && secretKey && port && probePath, 'the manifest has them all');
  return { claimName, secretName: secret.secretName, secretKey, port, probePath };
}

/** The port the manifest listens on must be free on the host: the pod uses the host network. */
async function assertPortFree(port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `port ${port} is taken on this host (${error.code}); the played pod listens there on the host network`,
        ),
      ),
    );
    server.listen(port, '0.0.0.0', resolve);
  });
  await new Promise((resolve) => server.close(resolve));
}

/** The first answer of a server that is starting: connection refusals are retried, for up to 30 s. */
async function firstAnswer(url: string) {
  for (let tries = 0; ; tries++) {
    try {
      return await httpGet(url);
    } catch (error) {
      if (tries >= 120) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** serve's JSON log events, read until `done` accepts them (up to 30 s). */
async function logEvents(
  pod: PlayedPod,
  done: (events: Record<string, unknown>[]) => boolean,
): Promise<Record<string, unknown>[]> {
  let events: Record<string, unknown>[] = [];
  for (let tries = 0; tries < 120; tries++) {
    events = (await pod.logs('serve'))
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    if (done(events)) return events;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.fail(`serve's log never showed what was awaited:\n${JSON.stringify(events)}`);
}

async function inspect(engine: Engine, pod: PlayedPod, container: string) {
  const result = await engine.exec(['container', 'inspect', `${pod.podName}-${container}`], {
    timeoutMs: 30_000,
  });
  const [facts] = JSON.parse(expectSuccess(result, `inspect ${container}`)) as {
    Config?: { User?: string; Healthcheck?: { Test?: string[] } };
    HostConfig?: { ReadonlyRootfs?: boolean };
  }[];
  return {
    user: facts?.Config?.User,
    readOnly: facts?.HostConfig?.ReadonlyRootfs,
    healthcheck: facts?.Config?.Healthcheck?.Test,
  };
}
