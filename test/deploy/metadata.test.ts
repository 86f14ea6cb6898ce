// The metadata of every object in deploy/kubernetes/: Kubernetes' recommended
// labels (app.kubernetes.io/*) with valid values, the version matching the
// image the object runs, selectors that never hold the version and always
// match their pod template; and every annotation key of the project's own
// under its one domain prefix, in the files and in what `sign --k8s-secret`
// prints.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { secretManifest } from '../../src/commands/k8s-secret.ts';
import { signUrl } from '../../src/urls/sign-url.ts';
import { publishedImageName } from '../../test-container/images.ts';
import { manifestDir, manifestDocuments } from '../helpers/kubernetes.ts';

/** The prefix of the project's own annotation keys (see src/commands/k8s-secret.ts). */
const projectPrefix = 'runtime-loader.example.com/';
const label = (key: string) => `app.kubernetes.io/${key}`;
/** On every object and pod template. */
const required = ['name', 'instance', 'version', 'component'].map(label);
/** What app.kubernetes.io/part-of is, per file: absent where one object serves many apps. */
const partOfByFile: Record<string, string | undefined> = {
  'deployment.yaml': 'jvm-app',
  'refresh-url.yaml': 'jvm-app',
  'secret.example.yaml': 'jvm-app',
  'serve.yaml': undefined,
};

interface Metadata {
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface PodSpec {
  containers: { image: string }[];
}
interface Template {
  metadata?: Metadata;
  spec: PodSpec;
}
interface KubeObject {
  kind: string;
  metadata: Metadata;
  spec?: {
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    template?: Template;
    jobTemplate?: { metadata?: Metadata; spec: { template: Template } };
  };
}

/** An object or a template inside it, named for messages. */
interface Described {
  readonly where: string;
  readonly metadata: Metadata;
  /** The pod spec of what this metadata labels: a workload's or a template's. */
  readonly pod?: PodSpec;
}

async function everyObject(): Promise<{ file: string; object: KubeObject }[]> {
  const files = (await readdir(manifestDir)).filter((file) => file.endsWith('.yaml')).sort();
  assert.deepEqual(files, Object.keys(partOfByFile).sort(), 'every file is in the table above');
  const all: { file: string; object: KubeObject }[] = [];
  for (const file of files) {
    for (const object of await manifestDocuments(file)) {
      all.push({ file, object: object as unknown as KubeObject });
    }
  }
  return all;
}

/** The object's own metadata, then that of each template inside it. */
function described(file: string, object: KubeObject): Described[] {
  const where = `${file}: ${object.kind} ${object.metadata.name}`;
  const { template, jobTemplate } = object.spec ?? {};
  // A workload runs the pods of its template.
  const own = template?.spec ?? jobTemplate?.spec.template.spec;
  const result: Described[] = [
    { where, metadata: object.metadata, ...(own === undefined ? {} : { pod: own }) },
  ];
  if (template !== undefined) {
    result.push({
      where: `${where}, pod template`,
      metadata: template.metadata ?? {},
      pod: template.spec,
    });
  }
  if (jobTemplate !== undefined) {
    const pod = jobTemplate.spec.template;
    result.push(
      { where: `${where}, job template`, metadata: jobTemplate.metadata ?? {}, pod: pod.spec },
      { where: `${where}, pod template`, metadata: pod.metadata ?? {}, pod: pod.spec },
    );
  }
  return result;
}

/** Kubernetes' syntax for a label value: at most 63 characters, alphanumeric at both ends. */
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

test('every object and template has the recommended labels, with valid values, and no managed-by', async () => {
  for (const { file, object } of await everyObject()) {
    const own = object.metadata.labels ?? {};
    for (const { where, metadata } of described(file, object)) {
      const labels = metadata.labels ?? {};
      for (const key of required) assert.ok(labels[key], `${where}: ${key}`);
      assert.equal(labels[label('part-of')], partOfByFile[file], `${where}: part-of`);
      assert.equal(labels[label('managed-by')], undefined, `${where}: kubectl manages nothing`);
      for (const [key, value] of Object.entries(labels)) {
        assert.ok(value.length <= 63 && labelValue.test(value), `${where}: ${key}: ${value}`);
      }
      // A template carries its object's recommended labels: the pods say what they belong to.
      for (const key of [...required, label('part-of')]) {
        assert.equal(labels[key], own[key], `${where}: ${key} as on the object`);
      }
    }
  }
});

test("the version is the image's: the loader's objects at the package version, the app at its tag", async () => {
  const { version } = JSON.parse(
    await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  let loaderObjects = 0;
  for (const { file, object } of await everyObject()) {
    for (const { where, metadata, pod } of described(file, object)) {
      const labels = metadata.labels ?? {};
      const images = pod?.containers.map((container) => container.image) ?? [];
      if (labels[label('name')] === 'runtime-loader') {
        loaderObjects += 1;
        assert.equal(labels[label('version')], version, where);
        for (const image of images) assert.equal(image, `${publishedImageName}:${version}`, where);
      } else {
        // The user's application: its main container's tag.
        const tag = images[0]?.split(':').at(-1);
        assert.ok(tag !== undefined, `${where}: the app's labels go with its pod`);
        assert.equal(labels[label('version')], tag, where);
      }
    }
  }
  assert.ok(loaderObjects > 0);
});

test('selectors match their pod template and never hold the version', async () => {
  let selectors = 0;
  for (const { file, object } of await everyObject()) {
    const selector = object.spec?.selector;
    if (selector === undefined) continue;
    selectors += 1;
    // A Service's selector is the map itself; a Deployment's and a budget's, matchLabels.
    const matchLabels = object.kind === 'Service' ? selector : (selector.matchLabels ?? {});
    const where = `${file}: ${object.kind} ${object.metadata.name}`;
    assert.ok(Object.keys(matchLabels).length > 0, `${where}: selects something`);
    assert.equal(matchLabels[label('version')], undefined, `${where}: no version in a selector`);
    // Whatever it selects, some template of the same file carries every label of it.
    const templates = (await manifestDocuments(file))
      .map((other) => (other as unknown as KubeObject).spec?.template?.metadata?.labels)
      .filter((labels) => labels !== undefined);
    assert.ok(
      templates.some((labels) =>
        Object.entries(matchLabels).every(([key, value]) => labels[key] === value),
      ),
      `${where}: its selector matches a pod template of ${file}`,
    );
  }
  assert.ok(selectors >= 4, 'the two Deployments, the Service and the budget');
});

/** Keys under Kubernetes' own domains, or another tool's reverse-domain prefix, are not ours. */
function isForeign(key: string): boolean {
  const prefix = key.includes('/') ? key.slice(0, key.indexOf('/')) : '';
  return /(^|\.)(kubernetes\.io|k8s\.io)$/.test(prefix) || key.startsWith('io.podman.');
}

test('every annotation key of the project is under its one domain prefix', async () => {
  // A DNS subdomain with at least one dot: a domain, not a bare name such as `runtime-loader/`.
  assert.match(projectPrefix, /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}\/$/);
  const keys: string[] = [];
  for (const { file, object } of await everyObject()) {
    for (const { where, metadata } of described(file, object)) {
      for (const key of Object.keys(metadata.annotations ?? {})) keys.push(`${where}: ${key}`);
    }
  }
  // What `sign --k8s-secret` prints (and `--k8s-apply` patches) is ours too.
  const url = signUrl({
    baseUrl: 'https://artifacts.example.com',
    path: '/app.jar',
    ttlSeconds: 600,
    secret: 'k'.repeat(43),
  });
  const [printed] = parseAllDocuments(secretManifest('jvm-app-artifact', url, 1)) as unknown as {
    toJS(): { metadata: Metadata };
  }[];
  const signed = Object.keys(printed?.toJS().metadata.annotations ?? {});
  assert.ok(signed.length > 0, 'sign annotates the Secret');
  for (const key of signed) keys.push(`sign --k8s-secret: ${key}`);
  for (const entry of keys) {
    const key = entry.slice(entry.lastIndexOf(': ') + 2);
    if (isForeign(key)) continue;
    assert.ok(key.startsWith(projectPrefix), `${entry}: expected the prefix ${projectPrefix}`);
  }

  // The example Secret shows what sign prints.
  const [example] = (await manifestDocuments('secret.example.yaml')) as unknown as KubeObject[];
  assert.deepEqual(Object.keys(example?.metadata.annotations ?? {}), signed);
});
