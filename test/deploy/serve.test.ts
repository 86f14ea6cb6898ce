// deploy/kubernetes/serve.yaml: `runtime-loader serve` as a Deployment, its
// Service and PodDisruptionBudget are valid against the Kubernetes API schema;
// the pod meets the restricted Pod Security Standard; the probes ask for the
// path serve answers without a signature, on the port it listens on; the
// arguments are ones serve accepts; the key comes from a Secret file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1/Service';
import { serveFlags } from '../../src/commands/serve-flags.ts';
import { parseToolFlags } from '../../src/commands/tool.ts';
import { healthPath } from '../../src/serve/health.ts';
import { assertRestricted, manifestDocuments } from '../helpers/kubernetes.ts';

async function serveManifest() {
  const all = await manifestDocuments('serve.yaml');
  assert.deepEqual(
    all.map((object) => object.kind),
    ['Deployment', 'Service', 'PodDisruptionBudget'],
  );
  const [deployment, service, budget] = all as never[];
  const objects = {
    deployment: new Deployment(deployment),
    service: new Service(service),
    budget: new PodDisruptionBudget(budget),
  };
  for (const object of Object.values(objects)) object.validate();
  const pod = objects.deployment.spec?.template.spec;
  assert.ok(pod !== undefined);
  assert.equal(pod.containers.length, 1, 'one container, no sidecar');
  const [container] = pod.containers;
  assert.ok(container !== undefined);
  return { ...objects, pod, container };
}

test('every object of serve.yaml is valid against the Kubernetes schema', async () => {
  await serveManifest();
});

test('the schema check is real: a bad field fails validation', async () => {
  const [raw] = (await manifestDocuments('serve.yaml')) as {
    spec: { template: { spec: { containers: { readinessProbe: { periodSeconds: unknown } }[] } } };
  }[];
  const container = raw?.spec.template.spec.containers[0];
  assert.ok(container !== undefined);
  container.readinessProbe.periodSeconds = 'often';
  assert.throws(() => new Deployment(raw as never).validate(), /periodSeconds/);
});

test('the pod meets the restricted Pod Security Standard, with volumes it allows', async () => {
  const { pod, container } = await serveManifest();
  assertRestricted(pod.securityContext, container);
  assert.equal(pod.securityContext?.runAsUser, 1000);
  assert.equal(pod.securityContext?.runAsGroup, 1000);
  assert.equal(pod.securityContext?.fsGroup, 1000);
  assert.equal(pod.automountServiceAccountToken, false, 'serve needs no API token');
  assert.equal(pod.enableServiceLinks, false);
  assert.equal(pod.hostNetwork ?? false, false);
  // The volume types the restricted standard allows.
  const allowed = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral'];
  allowed.push('persistentVolumeClaim', 'projected', 'secret');
  for (const volume of pod.volumes ?? []) {
    const types = Object.keys(volume).filter((key) => key !== 'name');
    assert.deepEqual(
      types.filter((type) => !allowed.includes(type)),
      [],
      `volume ${volume.name}: ${types.join(', ')}`,
    );
  }
  for (const port of container.ports ?? []) {
    assert.equal(port.hostPort, undefined, 'no host port');
  }
});

test('it runs `serve` on all addresses, with arguments serve accepts', async () => {
  const { container } = await serveManifest();
  assert.equal(container.command, undefined, 'the image entrypoint runs as built');
  const [command, ...rest] = container.args ?? [];
  assert.equal(command, 'serve');
  const flags = parseToolFlags('serve', rest, serveFlags);
  assert.equal(flags.read(serveFlags.host), '0.0.0.0', 'reachable on the pod IP');
  const port = flags.read(serveFlags.port);
  const named = container.ports?.find((p) => p.containerPort === port);
  assert.equal(named?.name, 'http', `containerPort ${port} is the named port "http"`);
  assert.equal(named.protocol, 'TCP');
});

test('readiness and liveness ask GET /healthz on the port serve listens on', async () => {
  const { container } = await serveManifest();
  const port = parseToolFlags('serve', container.args?.slice(1) ?? [], serveFlags).read(
    serveFlags.port,
  );
  const named = container.ports?.find((p) => p.containerPort === port)?.name;
  for (const [kind, probe] of [
    ['readiness', container.readinessProbe],
    ['liveness', container.livenessProbe],
  ] as const) {
    assert.ok(probe?.httpGet !== undefined, `a ${kind} probe over HTTP`);
    assert.equal(probe.httpGet.path, healthPath, kind);
    assert.ok(probe.httpGet.port === named || probe.httpGet.port === port, `${kind} port`);
    assert.equal(probe.httpGet.scheme ?? 'HTTP', 'HTTP');
    assert.equal(probe.httpGet.httpHeaders, undefined, 'no header: the probe needs none');
  }
  // Liveness gives up later than readiness: a slow moment takes the pod out of the
  // Service before it is restarted.
  const patience = (probe: typeof container.livenessProbe) =>
    (probe?.periodSeconds ?? 10) * (probe?.failureThreshold ?? 3);
  assert.ok(patience(container.livenessProbe) > patience(container.readinessProbe));
});

test('the folder is a claim mounted read-only; the key a Secret file readable only through fsGroup', async () => {
  const { pod, container } = await serveManifest();
  const args = container.args ?? [];
  const mountOf = (path: string) => {
    const mount = container.volumeMounts?.find((m) => path.startsWith(`${m.mountPath}/`));
    assert.ok(mount !== undefined, `${path} is on a mounted volume`);
    return { mount, volume: pod.volumes?.find((v) => v.name === mount.name) };
  };
  const dir = args[args.indexOf('--dir') + 1] ?? '';
  const folder = mountOf(`${dir}/`);
  assert.equal(folder.mount.readOnly, true, 'serve only reads the folder');
  assert.equal(folder.volume?.persistentVolumeClaim?.readOnly, true);
  assert.ok(folder.volume.persistentVolumeClaim.claimName);

  const secretFile = args[args.indexOf('--secret-file') + 1] ?? '';
  const key = mountOf(secretFile);
  assert.equal(key.mount.readOnly, true);
  assert.equal(key.mount.subPath, undefined, 'the whole volume: a rotated key arrives');
  const secret = key.volume?.secret;
  assert.equal(secret?.secretName, 'artifact-signing-key', "refresh-url.yaml's signing key");
  assert.deepEqual(secret.items, [
    { key: 'secret', path: secretFile.slice(key.mount.mountPath.length + 1) },
  ]);
  // Root-owned on the node: UID 1000 reads it through its group (fsGroup), and nobody else.
  assert.equal(secret.defaultMode, 0o440);
  assert.equal(pod.securityContext?.fsGroup, pod.securityContext?.runAsGroup);
});

test('requests and limits leave room for the transfers serve admits', async () => {
  const { container } = await serveManifest();
  const mebibytes = (quantity: unknown) => {
    const match = /^([0-9]+)Mi$/.exec(String(quantity));
    assert.ok(match, `memory in Mi: ${String(quantity)}`);
    return Number(match[1]);
  };
  const limitMiB = mebibytes(container.resources?.limits?.memory);
  assert.ok(mebibytes(container.resources?.requests?.memory) <= limitMiB);
  // About 4 MiB per transfer in flight on top of Node's own ~64 MiB (docs/performance.md).
  const flags = parseToolFlags('serve', container.args?.slice(1) ?? [], serveFlags);
  const transfers = flags.read(serveFlags.maxTransfers);
  assert.ok(limitMiB >= 64 + 4 * transfers, `${limitMiB} MiB for ${transfers} transfers`);
});

test('the Service and the budget select exactly the Deployment pods, by a selector without the version', async () => {
  const { deployment, service, budget } = await serveManifest();
  const selector = deployment.spec?.selector.matchLabels;
  assert.ok(selector !== undefined);
  assert.deepEqual(service.spec?.selector, selector);
  assert.deepEqual(budget.spec?.selector?.matchLabels, selector);
  assert.equal(service.spec?.type, 'ClusterIP');
  const [port] = service.spec?.ports ?? [];
  assert.equal(port?.name, 'http');
  assert.equal(port.targetPort, 'http', 'by name: the container port may change');
  assert.ok((deployment.spec?.replicas ?? 1) > (budget.spec?.maxUnavailable as number));
});
