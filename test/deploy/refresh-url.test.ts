// deploy/kubernetes/refresh-url.yaml: the CronJob that re-signs the URL, its
// ServiceAccount, Role and RoleBinding are valid against the Kubernetes API
// schema; the Role reaches exactly the one Secret the Deployment mounts; the
// schedule is well inside the URL's lifetime.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { Secret } from 'kubernetes-models/v1/Secret';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parseAllDocuments } from 'yaml';
import { parseDurationSeconds } from '../../src/options/durations.ts';
import { assertRestricted, manifestDocuments } from '../helpers/kubernetes.ts';
import { runLoader } from '../helpers/run-loader.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const documents = manifestDocuments;

async function refresher() {
  const all = await documents('refresh-url.yaml');
  const one = (kind: string) => {
    const found = all.filter((object) => object.kind === kind);
    assert.equal(found.length, 1, `one ${kind}`);
    return found[0] as never;
  };
  assert.equal(all.length, 4, 'ServiceAccount, Role, RoleBinding, CronJob');
  const objects = {
    account: new ServiceAccount(one('ServiceAccount')),
    role: new Role(one('Role')),
    binding: new RoleBinding(one('RoleBinding')),
    cronJob: new CronJob(one('CronJob')),
  };
  for (const object of Object.values(objects)) object.validate();
  return objects;
}

async function mountedSecretName(): Promise<string> {
  const [raw] = await documents('deployment.yaml');
  const pod = new Deployment(raw as never).spec?.template.spec;
  const loader = pod?.initContainers?.[0];
  const urlFile = loader?.env?.find((e) => e.name === 'ARTIFACT_URL_FILE')?.value ?? '';
  const mount = loader?.volumeMounts?.find((m) => urlFile.startsWith(`${m.mountPath}/`));
  const name = pod?.volumes?.find((v) => v.name === mount?.name)?.secret?.secretName;
  assert.ok(name, 'the Deployment mounts the URL Secret');
  return name;
}

test('every object of refresh-url.yaml is valid against the Kubernetes schema', async () => {
  await refresher();
});

test('the schema check is real: a bad field fails validation', async () => {
  const all = await documents('refresh-url.yaml');
  const raw = all.find((object) => object.kind === 'CronJob') as { spec: Record<string, unknown> };
  raw.spec.concurrencyPolicy = 'Sometimes';
  assert.throws(() => new CronJob(raw as never).validate(), /concurrencyPolicy/);
});

test('the Role reaches exactly one Secret, the one the Deployment reads, and may not create', async () => {
  const { role } = await refresher();
  const secretName = await mountedSecretName();
  assert.equal(role.rules?.length, 1, 'one rule');
  const [rule] = role.rules ?? [];
  assert.deepEqual(rule?.apiGroups, ['']);
  assert.deepEqual(rule?.resources, ['secrets']);
  assert.deepEqual(rule?.resourceNames, [secretName], 'exactly that Secret, by name');
  for (const verb of rule?.verbs ?? []) {
    assert.ok(['get', 'patch', 'update'].includes(verb), `verb ${verb} is not needed`);
  }
  assert.ok(rule?.verbs.includes('patch'), 'patch: what sign --k8s-apply does');
});

test('the RoleBinding gives that Role to the CronJob service account, and nothing else', async () => {
  const { account, role, binding, cronJob } = await refresher();
  assert.deepEqual(binding.roleRef, {
    apiGroup: 'rbac.authorization.k8s.io',
    kind: 'Role',
    name: role.metadata?.name,
  });
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: account.metadata?.name }]);
  const pod = cronJob.spec?.jobTemplate.spec?.template.spec;
  assert.equal(pod?.serviceAccountName, account.metadata?.name);
  assert.equal(pod?.automountServiceAccountToken, true, 'the token --k8s-apply uses');
});

test('the job runs the loader image as `sign --k8s-apply` on that Secret, restricted', async () => {
  const { cronJob } = await refresher();
  const secretName = await mountedSecretName();
  const pod = cronJob.spec?.jobTemplate.spec?.template.spec;
  assert.ok(pod !== undefined);
  assert.equal(pod.containers.length, 1, 'one container: no kubectl image');
  const [container] = pod.containers;
  assert.ok(container !== undefined);
  assertRestricted(pod.securityContext, container);
  const [raw] = await documents('deployment.yaml');
  const loaderImage = new Deployment(raw as never).spec?.template.spec?.initContainers?.[0]?.image;
  assert.equal(container.image, loaderImage, 'the same image as the init container');
  const args = container.args ?? [];
  assert.equal(args[0], 'sign');
  assert.equal(args[args.indexOf('--k8s-secret') + 1], secretName);
  assert.ok(args.includes('--k8s-apply'));
  const secretFile = args[args.indexOf('--secret-file') + 1] ?? '';
  const keyMount = container.volumeMounts?.find((m) => secretFile.startsWith(`${m.mountPath}/`));
  assert.equal(keyMount?.readOnly, true, 'the signing key is mounted read-only');
  assert.equal(pod.restartPolicy, 'Never');
  assert.equal(pod.enableServiceLinks, false, "no variables for the namespace's Services");
});

test('the schedule re-signs at least three times within the TTL', async () => {
  const { cronJob } = await refresher();
  const args = cronJob.spec?.jobTemplate.spec?.template.spec?.containers[0]?.args ?? [];
  const ttlSeconds = parseDurationSeconds(args[args.indexOf('--ttl') + 1] ?? '');
  const everyHours = /^0 \*\/([0-9]+) \* \* \*$/.exec(cronJob.spec?.schedule ?? '')?.[1];
  assert.ok(everyHours !== undefined, `schedule "${cronJob.spec?.schedule}" is every N hours`);
  assert.ok(24 % Number(everyHours) === 0, 'N divides the day, so runs are evenly spaced');
  assert.ok(
    Number(everyHours) * 3600 * 3 <= ttlSeconds,
    `every ${everyHours} h is not three runs within ${ttlSeconds} s`,
  );
  assert.equal(cronJob.spec?.concurrencyPolicy, 'Forbid');
});

test('the schedule is read in UTC, not in the zone of the controller manager', async () => {
  const { cronJob } = await refresher();
  assert.equal(cronJob.spec?.timeZone, 'Etc/UTC');
});

test('the job arguments are ones `sign` accepts: run without --k8s-apply they print the Secret', async () => {
  const { cronJob } = await refresher();
  const secretName = await mountedSecretName();
  const args = [...(cronJob.spec?.jobTemplate.spec?.template.spec?.containers[0]?.args ?? [])];
  const tmp = await makeTempDir('refresh-url-');
  try {
    const keyFile = join(tmp.path, 'secret');
    await writeFile(keyFile, 'q'.repeat(44), { mode: 0o600 });
    args[args.indexOf('--secret-file') + 1] = keyFile;
    const run = await runLoader({ args: args.filter((arg) => arg !== '--k8s-apply') });
    assert.equal(run.code, 0, run.stderr);
    const [printed] = parseAllDocuments(run.stdout) as unknown as { toJS(): unknown }[];
    const secret = new Secret(printed?.toJS() as never);
    secret.validate();
    assert.equal(secret.metadata?.name, secretName);
    assert.ok(secret.stringData?.url?.startsWith('https://artifacts.example.com/'));
  } finally {
    await tmp.cleanup();
  }
});
