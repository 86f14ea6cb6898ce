// The release: builds the image from the Dockerfile for linux/amd64 and linux/arm64
// with podman, fills the labels a release carries (revision, created, base.name,
// base.digest), and pushes one multi-architecture OCI index. Prints the index's
// reference pinned by digest, and writes it with the rest to --output (JSON).
//
//   npm run release:image -- --registry HOST[:PORT]/REPO --tag T
//       [--build-image REF] [--runtime-image REF]   default: the Dockerfile's
//       [--tls-verify=false]                          a registry over plain HTTP
//       [--output FILE]                               default: .tmp/release/image.json
//       [--allow-dirty]                               revision gets a -dirty suffix
//
// Each base image is pinned by the digest of the manifest that serves its platform, as
// the registry lists it (skopeo, scripts/registry-manifest.ts): the build stage's for
// this machine (it runs here, its output is platform-independent), the runtime stage's
// per target; that digest is also the org.opencontainers.image.base.digest label.
// Pinning per platform is what keeps podman 4.3 correct: it files every instance of an
// index under the index's digest in local storage, so `FROM base@sha256:<index>` can
// take the wrong architecture's.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { detectEngine, type Engine, expectSuccess, pushForDigest } from './engine.ts';
import { hostArch } from './node-for-arch.ts';
import { platformDigest, rawManifest, repositoryOf } from './registry-manifest.ts';

const execFileAsync = promisify(execFile);
const repoRoot = new URL('..', import.meta.url).pathname;
const platforms = ['linux/amd64', 'linux/arm64'] as const;
const buildTimeoutMs = 900_000;
const pushTimeoutMs = 600_000;

export interface ReleaseOptions {
  /** HOST[:PORT]/REPO */
  readonly registry: string;
  readonly tag: string;
  readonly buildImage: string;
  readonly runtimeImage: string;
  readonly tlsVerify: boolean;
  readonly allowDirty: boolean;
}

export interface Release {
  /** `HOST/REPO@sha256:…`: what consumers pull. */
  readonly reference: string;
  readonly tagReference: string;
  readonly digest: string;
  /** Platform (`linux/arm64`) → the digest of its manifest in the index. */
  readonly manifests: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly durationsMs: Readonly<Record<string, number>>;
}

export async function releaseImage(engine: Engine, options: ReleaseOptions): Promise<Release> {
  if (engine.name !== 'podman') throw new Error('the release builds with podman');
  const started = performance.now();
  const durationsMs: Record<string, number> = {};
  const tls = `--tls-verify=${options.tlsVerify}`;
  const { revision, created } = await sourceRevision(options.allowDirty);
  const version = (
    JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
  ).version;
  const buildPlatform = `linux/${hostArch()}`;
  const buildBase = await pinForPlatform(options.buildImage, buildPlatform, options.tlsVerify);

  const list = `localhost/runtime-loader-release:${options.tag}`;
  await engine.exec(['manifest', 'rm', list]);
  expectSuccess(await engine.exec(['manifest', 'create', list]), `manifest create ${list}`);
  const labels: Record<string, Record<string, string>> = {};
  for (const platform of platforms) {
    const runtimeBase = await pinForPlatform(options.runtimeImage, platform, options.tlsVerify);
    const buildArgs: Record<string, string> = {
      BUILDPLATFORM: buildPlatform,
      BUILD_IMAGE: buildBase.pinned,
      RUNTIME_IMAGE: runtimeBase.pinned,
      VERSION: version,
      REVISION: revision,
      CREATED: created,
      BASE_NAME: options.runtimeImage,
      BASE_DIGEST: runtimeBase.digest,
    };
    const image = `${list}-${platform.replace('linux/', '')}`;
    const build = await engine.exec(
      [
        'build',
        '--network',
        'host',
        tls,
        '--platform',
        platform,
        ...Object.entries(buildArgs).flatMap(([name, value]) => [
          '--build-arg',
          `${name}=${value}`,
        ]),
        '--tag',
        image,
        repoRoot,
      ],
      { timeoutMs: buildTimeoutMs },
    );
    expectSuccess(build, `podman build --platform ${platform}`);
    durationsMs[`build ${platform}`] = build.durationMs;
    labels[platform] = await imageLabels(engine, image);
    expectSuccess(
      await engine.exec(['manifest', 'add', list, `containers-storage:${image}`]),
      `manifest add ${image}`,
    );
  }

  const tagReference = `${options.registry}:${options.tag}`;
  const { digest, durationMs } = await pushForDigest(
    engine,
    ['manifest', 'push', '--all', '--format', 'oci', tls, list, `docker://${tagReference}`],
    pushTimeoutMs,
  );
  durationsMs.push = durationMs;
  const reference = `${options.registry}@${digest}`;
  // Read back as a consumer's engine will see it: the index the registry serves.
  const pushed = await rawManifest(reference, options.tlsVerify);
  if (pushed.digest !== digest) {
    throw new Error(`the registry serves ${pushed.digest} for ${reference}`);
  }
  const manifests: Record<string, string> = {};
  for (const platform of platforms) {
    manifests[platform] = await platformDigest(reference, platform, options.tlsVerify);
  }
  durationsMs.total = Math.round(performance.now() - started);
  return { reference, tagReference, digest, manifests, labels, durationsMs };
}

/** The commit (with -dirty when the tree has changes) and its time, RFC 3339. */
async function sourceRevision(allowDirty: boolean): Promise<{ revision: string; created: string }> {
  const git = async (...args: string[]) =>
    (await execFileAsync('git', args, { cwd: repoRoot })).stdout.trim();
  const head = await git('rev-parse', 'HEAD');
  const dirty = (await git('status', '--porcelain')) !== '';
  if (dirty && !allowDirty) {
    throw new Error(
      'the work tree has uncommitted changes, so no commit describes the image: commit them, or pass --allow-dirty',
    );
  }
  // The commit's time, not the clock's: the same commit gives the same labels.
  const created = new Date(await git('show', '-s', '--format=%cI', 'HEAD')).toISOString();
  return { revision: dirty ? `${head}-dirty` : head, created };
}

/** `reference` pinned by the digest of its `platform` manifest. */
async function pinForPlatform(
  reference: string,
  platform: string,
  tlsVerify: boolean,
): Promise<{ digest: string; pinned: string }> {
  const digest = await platformDigest(reference, platform, tlsVerify);
  return { digest, pinned: `${repositoryOf(reference)}@${digest}` };
}

async function imageLabels(engine: Engine, image: string): Promise<Record<string, string>> {
  const json = expectSuccess(
    await engine.exec(['image', 'inspect', '--format', '{{json .Labels}}', image]),
    `inspect ${image}`,
  );
  return JSON.parse(json) as Record<string, string>;
}

/** The default of `ARG name=...` in the Dockerfile: the public base images. */
async function dockerfileDefault(name: string): Promise<string> {
  const text = await readFile(join(repoRoot, 'Dockerfile'), 'utf8');
  const value = new RegExp(`^ARG ${name}=(\\S+)$`, 'm').exec(text)?.[1];
  if (value === undefined) throw new Error(`the Dockerfile has no default for ARG ${name}`);
  return value;
}

const usage =
  'usage: npm run release:image -- --registry HOST[:PORT]/REPO --tag T [--build-image REF] [--runtime-image REF] [--tls-verify=false] [--output FILE] [--allow-dirty]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      registry: { type: 'string' },
      tag: { type: 'string' },
      'build-image': { type: 'string' },
      'runtime-image': { type: 'string' },
      'tls-verify': { type: 'string', default: 'true' },
      output: { type: 'string', default: join(repoRoot, '.tmp/release/image.json') },
      'allow-dirty': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const registry = values.registry ?? '';
  if (!/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+$/.test(registry)) {
    throw new Error(
      `--registry must be HOST[:PORT]/REPO, got ${JSON.stringify(registry)}\n${usage}`,
    );
  }
  const tag = values.tag ?? '';
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) {
    throw new Error(
      `--tag must be a tag (letters, digits, _ . -), got ${JSON.stringify(tag)}\n${usage}`,
    );
  }
  if (!['true', 'false'].includes(values['tls-verify'])) {
    throw new Error(`--tls-verify must be true or false, got ${values['tls-verify']}\n${usage}`);
  }
  const detection = await detectEngine({ ...process.env, CONTAINER_ENGINE: 'podman' });
  if (!detection.ok) throw new Error(`the release needs podman: ${detection.reason}`);
  const release = await releaseImage(detection.engine, {
    registry,
    tag,
    buildImage: values['build-image'] ?? (await dockerfileDefault('BUILD_IMAGE')),
    runtimeImage: values['runtime-image'] ?? (await dockerfileDefault('RUNTIME_IMAGE')),
    tlsVerify: values['tls-verify'] === 'true',
    allowDirty: values['allow-dirty'],
  });
  const output = resolve(values.output);
  await mkdir(dirname(output), { recursive: true });
  await writeFile(output, `${JSON.stringify(release, null, 2)}\n`);
  console.log(
    `pushed ${release.tagReference} (${Object.keys(release.manifests).join(', ')}) in ${release.durationsMs.total} ms: ${JSON.stringify(release.durationsMs)}`,
  );
  console.log(`wrote ${output}`);
  console.log(release.reference);
}

if (import.meta.main) await main();
