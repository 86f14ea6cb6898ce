// deploy/kubernetes/deployment.yaml for real, under `podman kube play`: its pod
// template with only the image names and the Secret's URL changed (and the
// restart policy, see kube-play.ts), the init container fetching from a server
// on the host, the JVM app container starting the JAR. The manifest's fixed
// ARTIFACT_EXPECTED_SIZE (52428800) is met by padding the app JAR to that size.
// The Secret volume holding the URL becomes a folder with its file (podman 4.3
// crashes on secret volumes; see kube-play.ts). Runs in the podman pass.
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../scripts/engine.ts';
import { type ConsumerServer, startConsumerServer } from './consumer-server.ts';
import { forEnginePass } from './engine-pass.ts';
import { repoRoot } from './image-build.ts';
import { packageVersion, prepareImages, publishedImageName, type TestImages } from './images.ts';
import { appGreeting, buildJvmApp } from './jvm-app.ts';
import { playManifest } from './kube-play.ts';

const manifestPath = join(repoRoot, 'deploy/kubernetes/deployment.yaml');
const manifestSizeBytes = 52_428_800;

await forEnginePass('podman', 'deploy/kubernetes under podman kube play', describeKubePlay);

function describeKubePlay(engine: Engine): void {
  describe('deploy/kubernetes/deployment.yaml under podman kube play', { timeout: 600_000 }, () => {
    let images: TestImages;
    let server: ConsumerServer;
    let version = '';

    before(async () => {
      images = await prepareImages(engine);
      version = await packageVersion();
      server = await startConsumerServer();
      server.put('app', await buildJvmApp({ sizeBytes: manifestSizeBytes }));
      console.log(`# ${images.log}`);
      console.log(
        '# podman is not the kubelet: (1) a Deployment is played as one Pod of its template with restartPolicy OnFailure, because podman 4.3 gives init containers the pod restart policy and restarts a finished loader under Always; (2) podman removes a finished init container, so its log is gone after success; (3) no /dev/termination-log: the loader skips the termination message, the reason is only in the log; (4) the podman emptyDir takes the owner of the image /app/jars and mode like a named volume, where the kubelet makes it root-owned with group fsGroup (see the observed line below); (5) a failed init container is restarted (OnFailure) without back-off, and the play reports its exit code; the kubelet restarts it with back-off.',
      );
    });

    after(async () => {
      await server?.close();
    });

    const play = (url: string) =>
      playManifest(engine, {
        manifestPath,
        images: {
          [`${publishedImageName}:${version}`]: images.loaderImage,
          'registry.example.com/my-jvm-app:1.0': images.appImage,
        },
        restartPolicy: 'OnFailure',
        secrets: { 'jvm-app-artifact': { url } },
      });

    test('the init container fetches the JAR, then the JVM app container runs it', async () => {
      const started = performance.now();
      const pod = await play(server.signedUrl('app'));
      try {
        const ms = Math.round(performance.now() - started);
        console.log(`# kube play success: exit ${pod.play.exitCode} in ${ms} ms`);
        assert.equal(pod.play.exitCode, 0, `${pod.play.stdout}\n${pod.play.stderr}`);
        assert.ok(pod.yaml.includes(images.loaderImage) && !pod.yaml.includes('sig='));
        let appLog = '';
        for (let tries = 0; tries < 60 && !appLog.includes(appGreeting); tries++) {
          appLog = await pod.logs('app');
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        assert.ok(appLog.includes(appGreeting), `the app ran the JAR:\n${appLog}`);
        assert.ok(server.answers.some((answer) => answer.status === 200));
        console.log(`# the app container printed ${JSON.stringify(appLog.trim())}`);
      } finally {
        await pod.down();
      }
    });

    test('a pod restarted after its URL expired keeps its verified JAR and runs the app again', async () => {
      // The kubelet re-runs init containers on every pod restart; podman's kube play
      // runs them once unless the pod asks for `always` (podman's own annotation,
      // which the kubelet ignores), so the restart is shown with that annotation.
      const pod = await playManifest(engine, {
        manifestPath,
        images: {
          [`${publishedImageName}:${version}`]: images.loaderImage,
          'registry.example.com/my-jvm-app:1.0': images.appImage,
        },
        restartPolicy: 'OnFailure',
        secrets: { 'jvm-app-artifact': { url: server.signedUrl('app', 3600) } },
        podName: 'jvm-app-restart',
        annotations: { 'io.podman.annotations.init.container.type': 'always' },
      });
      try {
        assert.equal(pod.play.exitCode, 0, `${pod.play.stdout}\n${pod.play.stderr}`);
        await waitForGreetings(pod, 1);
        // Two days pass: the URL in the Secret has expired; the server now answers 401.
        server.passTime(2 * 86_400);
        const answersBefore = server.answers.length;
        const restarted = await pod.restart();
        console.log(
          `# kube play restart after expiry: podman pod start exit ${restarted.exitCode}`,
        );
        assert.equal(restarted.exitCode, 0, `${restarted.stdout}\n${restarted.stderr}`);
        const appLog = await waitForGreetings(pod, 2);
        const asked = server.answers.slice(answersBefore);
        assert.deepEqual(
          asked.map((answer) => answer.status),
          [401],
          'the re-run asked the server once and was refused',
        );
        const loaderLog = await pod.logs('runtime-loader');
        assert.match(loaderLog, /"event":"kept-verified"/, loaderLog);
        assert.match(loaderLog, /"outcome":"kept-verified"/, loaderLog);
        assert.doesNotMatch(loaderLog, /sig=/);
        console.log(
          `# after the restart the app container printed its line again (${appLog.split(appGreeting).length - 1} times in all); the loader kept the JAR on a 401`,
        );
      } finally {
        await pod.down();
      }
    });

    test('an expired URL: the app container never starts; the loader says 401', async () => {
      const pod = await play(server.signedUrl('app', -60));
      try {
        console.log(
          `# kube play expired URL: exit ${pod.play.exitCode}; ${pod.play.stderr.trim()}`,
        );
        assert.notEqual(pod.play.exitCode, 0);
        assert.match(pod.play.stderr, /init container .* exited with code 3/);
        assert.equal(await pod.state('app'), 'created', 'the app container was never started');
        // Where podman is not the kubelet, observed on the failed init container.
        const facts = await pod.inspect('runtime-loader');
        assert.ok(facts !== undefined, 'the failed init container is kept');
        const jars = facts.mounts.find((mount) => mount.destination === '/app/jars');
        const jarsStat =
          jars === undefined ? undefined : await stat(jars.source).catch(() => undefined);
        const hasTerminationLog = facts.mounts.some((mount) =>
          mount.destination.startsWith('/dev/termination-log'),
        );
        console.log(
          `# podman vs kubelet, observed: the failed init container was restarted ${facts.restartCount} time(s) before kube play gave up (the kubelet restarts it with back-off for as long as the pod lives); /dev/termination-log ${hasTerminationLog ? 'is' : 'is NOT'} mounted (the kubelet mounts it; without it the reason is only in the log); the emptyDir at /app/jars is ${jarsStat === undefined ? 'not visible from the host' : `owned by ${jarsStat.uid}:${jarsStat.gid}, mode ${(jarsStat.mode & 0o7777).toString(8)}`} (the kubelet: group fsGroup=1000, setgid, group-writable); supplementary groups ${JSON.stringify(facts.groups)}`,
        );
        const loaderLog = await pod.logs('runtime-loader');
        assert.match(loaderLog, /"event":"failed".*401/, loaderLog);
        assert.doesNotMatch(loaderLog, /sig=/);
      } finally {
        await pod.down();
      }
    });
  });
}

/** Waits until the app container has printed its greeting `count` times; returns its log. */
async function waitForGreetings(
  pod: { logs(container: string): Promise<string> },
  count: number,
): Promise<string> {
  let appLog = '';
  for (let tries = 0; tries < 120; tries++) {
    appLog = await pod.logs('app');
    if (appLog.split(appGreeting).length - 1 >= count) return appLog;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  assert.fail(`the app printed its line fewer than ${count} time(s):\n${appLog}`);
}
