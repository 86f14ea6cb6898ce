// Puts the local stand-ins for the Dockerfile's base images into a registry, so a
// release can be built from them exactly as from the public ones (pulled, pinned by
// digest): the runtime base as a two-architecture index (amd64 + arm64, like
// distroless), the build base for this machine's architecture. Needs podman (its
// manifest commands). Prints the two references, pinned by digest, as JSON.
//
// Usage: node scripts/push-base-images.ts --registry HOST[:PORT] [--tls-verify=false]
import { parseArgs } from 'node:util';
import { detectEngine, type Engine, expectSuccess, pushForDigest } from './engine.ts';
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
  const pushedRuntime = await pushForDigest(
    engine,
    ['manifest', 'push', '--all', '--format', 'oci', tls, list, `docker://${runtimeRepo}:node24`],
    pushTimeoutMs,
  );
  const buildRepo = `${registry}/runtime-loader-build-base`;
  const pushedBuild = await pushForDigest(
    engine,
    ['push', '--format', 'oci', tls, buildBaseImage, `docker://${buildRepo}:node24`],
    pushTimeoutMs,
  );
  return {
    runtimeImage: `${runtimeRepo}@${pushedRuntime.digest}`,
    buildImage: `${buildRepo}@${pushedBuild.digest}`,
  };
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
