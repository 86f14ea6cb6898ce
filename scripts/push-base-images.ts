// Puts the local stand-ins for the Dockerfile's base images into a registry, so a
// release can be built from them exactly as from the public ones (pulled, pinned by
// digest): the runtime base as a two-architecture index (amd64 + arm64, like
// distroless), the build base for this machine's architecture. Needs podman (its
// manifest commands). Prints the two references, pinned by digest, as JSON.
//
// Usage: node scripts/push-base-images.ts --registry HOST[:PORT] [--tls-verify=false]
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { detectEngine, type Engine, expectSuccess } from './engine.ts';
import { buildBaseImage, makeBaseImages, makeRuntimeBaseImage } from './make-base-image.ts';
import type { Arch } from './node-for-arch.ts';

const pushTimeoutMs = 300_000;
const runtimeArchitectures: readonly Arch[] = ['amd64', 'arm64'];

export interface PushedBases {
  /** `HOST/runtime-loader-base@sha256:…`: an index of the runtime base for each architecture. */
  readonly runtimeImage: string;
  /** `HOST/runtime-loader-build-base@sha256:…`: the build base, this machine's architecture. */
  readonly buildImage: string;
}

export async function pushBaseImages(
  engine: Engine,
  registry: string,
  tlsVerify: boolean,
): Promise<PushedBases> {
  if (engine.name !== 'podman') throw new Error('pushing the base images needs podman');
  const tls = `--tls-verify=${tlsVerify}`;
  await makeBaseImages(engine);
  const list = 'localhost/runtime-loader-base:node24-index';
  await engine.exec(['manifest', 'rm', list]);
  expectSuccess(await engine.exec(['manifest', 'create', list]), `manifest create ${list}`);
  for (const arch of runtimeArchitectures) {
    const { image } = await makeRuntimeBaseImage(engine, arch);
    expectSuccess(
      await engine.exec(['manifest', 'add', list, `containers-storage:${image}`]),
      `manifest add ${image}`,
    );
  }
  const runtimeRepo = `${registry}/runtime-loader-base`;
  const pushedRuntime = await withDigestFile((digestFile) =>
    engine.exec(
      [
        'manifest',
        'push',
        '--all',
        '--format',
        'oci',
        tls,
        '--digestfile',
        digestFile,
        list,
        `docker://${runtimeRepo}:node24`,
      ],
      { timeoutMs: pushTimeoutMs },
    ),
  );
  const buildRepo = `${registry}/runtime-loader-build-base`;
  const pushedBuild = await withDigestFile((digestFile) =>
    engine.exec(
      [
        'push',
        '--format',
        'oci',
        tls,
        '--digestfile',
        digestFile,
        buildBaseImage,
        `docker://${buildRepo}:node24`,
      ],
      { timeoutMs: pushTimeoutMs },
    ),
  );
  return {
    runtimeImage: `${runtimeRepo}@${pushedRuntime}`,
    buildImage: `${buildRepo}@${pushedBuild}`,
  };
}

/** Runs a push that writes the pushed digest to a file; returns that digest. */
async function withDigestFile(
  push: (digestFile: string) => ReturnType<Engine['exec']>,
): Promise<string> {
  const digestFile = join(tmpdir(), `runtime-loader-digest-${process.pid}-${Date.now()}`);
  try {
    expectSuccess(await push(digestFile), 'push');
    const digest = (await readFile(digestFile, 'utf8')).trim();
    if (!/^sha256:[0-9a-f]{64}$/.test(digest))
      throw new Error(`the push wrote no digest: ${digest}`);
    return digest;
  } finally {
    await rm(digestFile, { force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { registry: { type: 'string' }, 'tls-verify': { type: 'string', default: 'true' } },
    strict: true,
  });
  if (values.registry === undefined || !/^[a-z0-9.-]+(:\d+)?$/i.test(values.registry)) {
    throw new Error('--registry HOST[:PORT] is required (e.g. --registry 127.0.0.1:5000)');
  }
  const detection = await detectEngine({ ...process.env, CONTAINER_ENGINE: 'podman' });
  if (!detection.ok) throw new Error(detection.reason);
  const pushed = await pushBaseImages(
    detection.engine,
    values.registry,
    values['tls-verify'] !== 'false',
  );
  console.log(JSON.stringify(pushed));
}
