// deploy/kubernetes/: the Deployment and the Secret example are valid against
// the Kubernetes API schema, and the loader runs as a restricted init container.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Secret } from 'kubernetes-models/v1/Secret';
import { parseAllDocuments } from 'yaml';
import { settings } from '../../src/config/settings.ts';
import { assertRestricted, effective } from '../helpers/kubernetes.ts';

const dir = new URL('../../deploy/kubernetes/', import.meta.url);

async function loadSingle(file: string): Promise<unknown> {
  const documents = parseAllDocuments(await readFile(new URL(file, dir), 'utf8'));
  assert.ok(Array.isArray(documents), `${file} parses as YAML`);
  assert.equal(documents.length, 1, `${file} holds one object`);
  const [document] = documents;
  assert.ok(document !== undefined);
  assert.deepEqual(document.errors, [], `${file} has no YAML errors`);
  return document.toJS();
}

async function loadDeployment(): Promise<Deployment> {
  const deployment = new Deployment((await loadSingle('deployment.yaml')) as never);
  deployment.validate(); // throws, naming every path that breaks the API schema
  return deployment;
}

test('deployment.yaml is a valid apps/v1 Deployment', async () => {
  const deployment = await loadDeployment();
  assert.equal(deployment.kind, 'Deployment');
  assert.ok(deployment.spec?.template.spec !== undefined);
});

test('the schema check is real: a bad field fails validation', async () => {
  const raw = (await loadSingle('deployment.yaml')) as {
    spec: { template: { spec: { initContainers: { terminationMessagePolicy: string }[] } } };
  };
  const [loader] = raw.spec.template.spec.initContainers;
  assert.ok(loader !== undefined);
  loader.terminationMessagePolicy = 'FallbackToLogs';
  assert.throws(() => new Deployment(raw as never).validate(), /terminationMessagePolicy/);
});

test('the pod runs as 1000:1000 with fsGroup 1000 and the RuntimeDefault seccomp profile', async () => {
  const pod = (await loadDeployment()).spec?.template.spec;
  assert.deepEqual(pod?.securityContext, {
    runAsNonRoot: true,
    runAsUser: 1000,
    runAsGroup: 1000,
    fsGroup: 1000,
    seccompProfile: { type: 'RuntimeDefault' },
  });
});

test("the pod gets no variables for the namespace's Services (enableServiceLinks: false)", async () => {
  const pod = (await loadDeployment()).spec?.template.spec;
  assert.equal(pod?.enableServiceLinks, false);
});

test('the loader is a restricted init container writing /app/jars on an emptyDir', async () => {
  const pod = (await loadDeployment()).spec?.template.spec;
  assert.ok(pod !== undefined);
  const [loader, ...otherInits] = pod.initContainers ?? [];
  assert.ok(loader !== undefined, 'an init container');
  assert.deepEqual(otherInits, [], 'the loader is the only init container');
  assertRestricted(pod.securityContext, loader);
  assert.equal(effective(pod.securityContext, loader, 'runAsUser'), 1000);
  assert.equal(effective(pod.securityContext, loader, 'runAsGroup'), 1000);
  assert.deepEqual(loader.command, undefined, 'the image entrypoint runs as built');

  const mount = loader.volumeMounts?.find((m) => m.mountPath === '/app/jars');
  assert.ok(mount !== undefined, 'the loader mounts /app/jars');
  assert.notEqual(mount.readOnly, true, 'the loader writes /app/jars');
  const volume = pod.volumes?.find((v) => v.name === mount.name);
  assert.ok(volume?.emptyDir !== undefined, '/app/jars is an emptyDir');
});

test('the signed URL comes from a Secret volume (ARTIFACT_URL_FILE); the size is a plain number', async () => {
  const pod = (await loadDeployment()).spec?.template.spec;
  const loader = pod?.initContainers?.[0];
  assert.ok(loader !== undefined);
  assert.equal(
    loader.env?.find((e) => e.name === 'ARTIFACT_URL'),
    undefined,
    'not ARTIFACT_URL: an env var is not updated',
  );
  const urlFile = loader.env?.find((e) => e.name === 'ARTIFACT_URL_FILE')?.value ?? '';
  const mount = loader.volumeMounts?.find((m) => urlFile.startsWith(`${m.mountPath}/`));
  assert.ok(mount !== undefined, `ARTIFACT_URL_FILE ${urlFile} is on a mounted volume`);
  assert.equal(mount.readOnly, true);
  assert.equal(mount.subPath, undefined, 'no subPath: the kubelet never updates one');
  const volume = pod?.volumes?.find((v) => v.name === mount.name);
  const secretVolume = volume?.secret;
  assert.ok(secretVolume?.secretName, 'the volume is a Secret');
  const fileName = urlFile.slice(mount.mountPath.length + 1);
  const item = secretVolume.items?.find((i) => i.path === fileName);
  assert.ok(item !== undefined, `the Secret volume projects ${fileName}`);
  // Root-owned, group fsGroup: UID 1000 reads it through the group bit.
  assert.equal(pod?.securityContext?.fsGroup, 1000);
  assert.equal(((secretVolume.defaultMode ?? 0o644) & 0o040) !== 0, true, 'group-readable');
  assert.equal((secretVolume.defaultMode ?? 0o644) & 0o007, 0, 'not readable by others');

  const size = loader.env?.find((e) => e.name === 'ARTIFACT_EXPECTED_SIZE');
  assert.match(size?.value ?? '', /^[1-9][0-9]*$/, 'ARTIFACT_EXPECTED_SIZE is whole bytes');
  for (const container of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
    for (const variable of container.env ?? []) {
      assert.doesNotMatch(
        variable.value ?? '',
        /^https?:\/\//,
        `${container.name}: ${variable.name} holds no URL`,
      );
    }
  }

  const secret = new Secret((await loadSingle('secret.example.yaml')) as never);
  secret.validate();
  assert.equal(
    secret.metadata?.name,
    secretVolume.secretName,
    'the example Secret is the one mounted',
  );
  assert.ok(
    secret.stringData?.[item.key] !== undefined || secret.data?.[item.key] !== undefined,
    `the Secret has key ${item.key}`,
  );
});

test('ARTIFACT_SHA256 is shown, commented out, beside the size: uncommented it is a valid loader variable', async () => {
  const text = await readFile(new URL('deployment.yaml', dir), 'utf8');
  const commented = /^( *)# (- name: ARTIFACT_SHA256)\n\1# {3}(value: .*)$/m;
  assert.match(text, commented, 'the pin is shown as a comment');
  const uncommented = text.replace(commented, '$1$2\n$1  $3');
  const deployment = new Deployment(parseAllDocuments(uncommented)[0]?.toJS() as never);
  deployment.validate();
  const env = deployment.spec?.template.spec?.initContainers?.[0]?.env ?? [];
  assert.deepEqual(
    env.map((variable) => variable.name),
    ['ARTIFACT_URL_FILE', 'ARTIFACT_EXPECTED_SIZE', settings.sha256.env],
    "the loader's own variable, in the loader's container",
  );
  // A placeholder the loader refuses (exit 2) rather than a digest that would pass for one.
  const placeholder = env[2]?.value ?? '';
  assert.throws(() => settings.sha256.parse(placeholder), /64 hexadecimal characters/);
  const hex = 'ab'.repeat(32);
  assert.equal(
    settings.sha256.parse(placeholder.replace(/<[^>]*>/, hex)),
    hex,
    'in its place, a digest',
  );
});

test('the app container shares /app/jars read-only and is restricted too', async () => {
  const pod = (await loadDeployment()).spec?.template.spec;
  assert.ok(pod !== undefined);
  const loaderMount = pod.initContainers?.[0]?.volumeMounts?.find(
    (m) => m.mountPath === '/app/jars',
  );
  assert.equal(pod.containers.length, 1);
  const [app] = pod.containers;
  assert.ok(app !== undefined);
  assertRestricted(pod.securityContext, app);
  const mount = app.volumeMounts?.find((m) => m.mountPath === '/app/jars');
  assert.equal(mount?.name, loaderMount?.name, 'the same volume as the loader');
  assert.equal(mount?.readOnly, true);
});
