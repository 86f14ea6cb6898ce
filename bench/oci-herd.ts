// `npm run bench -- --herd N --oci`: N loaders pulling one oci:// artifact at once from a real
// registry (Debian's docker-registry, Distribution 2.8), straight or through a pull-through
// cache of it as their mirror. A counting relay in front of the registry shows what reached
// it (the upstream): blob GETs and their bytes; another in front of the mirror, what the
// loaders asked of it. Every output is hashed and compared. Peak RSS of both registry
// processes from /proc/PID/status (VmHWM), a fresh pair per case, so each peak is the case's.
//
// Distribution 2.8's cache does not merge requests in flight: it fetches a blob once to
// store it and once more for each client whose request arrives before it is stored (its
// proxyblobstore.ServeBlob), so what a cold mirror costs the upstream is the mirror's
// doing, not the loaders'; the loaders' own count is in the mirror's relay.
import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pushArtifact } from '../test/helpers/registry/artifact.ts';
import { orasArtifact } from '../test/helpers/registry/oras.ts';
import { type Registry, startRegistry } from '../test/helpers/registry/registry.ts';
import { type Relay, startRelay } from '../test/helpers/registry/relay.ts';
import { loader } from './clients.ts';
import { launchAll, sha256Of } from './herd.ts';
import { markdownTable } from './report.ts';
import type { BenchContext } from './scenarios.ts';

export interface OciHerdCase {
  readonly name: string;
  readonly loaders: number;
  readonly succeeded: number;
  readonly identical: number;
  /** From the common start to the last loader's exit. */
  readonly wallMs: number;
  /** Blob GETs that reached the registry (the upstream), and the body bytes it sent for them. */
  readonly upstreamBlobGets: number;
  readonly upstreamBlobBytes: number;
  /** Blob GETs the loaders sent to the mirror, when there is one. */
  readonly mirrorBlobGets: number | undefined;
  readonly registryPeakRssMiB: number;
  readonly mirrorPeakRssMiB: number | undefined;
}

const mib = 1024 * 1024;
const repository = 'team/app';

/** The three cases: 1 then N-1 through a mirror; N at once straight; N at once through a cold mirror. */
export async function ociHerd(
  context: BenchContext,
  work: string,
  count: number,
  sizeBytes: number,
): Promise<OciHerdCase[]> {
  const jar = Buffer.alloc(sizeBytes);
  for (let at = 0; at < sizeBytes; at += 4096) jar.writeUInt32LE((at * 2654435761) >>> 0, at);
  const artifact = orasArtifact(jar);
  const sha256 = createHash('sha256').update(jar).digest('hex');
  const folder = join(work, 'oci-herd');
  const digest = artifact.blobs[1]?.digest ?? '';
  const run = (name: string, setup: Setup, loaders: number) =>
    herdOf(context, { name, setup, loaders, folder, sha256, sizeBytes, digest });
  const cases: OciHerdCase[] = [];
  {
    await using setup = await registries(artifact, true);
    cases.push(await run('1 loader through the mirror (cold)', setup, 1));
    await setup.mirrorStored(digest);
    cases.push(await run(`then ${count - 1} at once through the mirror`, setup, count - 1));
  }
  {
    await using setup = await registries(artifact, false);
    cases.push(await run(`${count} at once, straight to the registry`, setup, count));
  }
  {
    await using setup = await registries(artifact, true);
    cases.push(await run(`${count} at once through a cold mirror`, setup, count));
  }
  return cases;
}

interface Setup extends AsyncDisposable {
  readonly registry: Registry;
  readonly upstream: Relay;
  readonly cache: Registry | undefined;
  readonly mirror: Relay | undefined;
  /** Resolves once the cache has the blob in its own store (it logs so). */
  mirrorStored(digest: string): Promise<void>;
}

async function registries(
  artifact: ReturnType<typeof orasArtifact>,
  withMirror: boolean,
): Promise<Setup> {
  await using stack = new AsyncDisposableStack();
  const registry = stack.use(await startRegistry());
  await pushArtifact(registry, repository, '1.0', artifact);
  const upstream = stack.use(await startRelay(registry.origin));
  const cache = withMirror
    ? stack.use(await startRegistry({ proxy: { remoteUrl: upstream.origin } }))
    : undefined;
  const mirror = cache ? stack.use(await startRelay(cache.origin)) : undefined;
  const owned = stack.move();
  return {
    registry,
    upstream,
    cache,
    mirror,
    mirrorStored: async (digest) => {
      await cache?.waitForLog(new RegExp(`Adding new scheduler entry for ${repository}@${digest}`));
    },
    [Symbol.asyncDispose]: () => owned.disposeAsync(),
  };
}

async function herdOf(
  context: BenchContext,
  spec: {
    name: string;
    setup: Setup;
    loaders: number;
    folder: string;
    sha256: string;
    sizeBytes: number;
    /** The blob's digest. */
    digest: string;
  },
): Promise<OciHerdCase> {
  const { setup } = spec;
  context.progress(`oci herd: ${spec.name}`);
  const upstreamBefore = setup.upstream.blobGets();
  const mirrorBefore = setup.mirror?.blobGets().length ?? 0;
  const folders = Array.from({ length: spec.loaders }, (_, index) =>
    join(spec.folder, `${spec.name.replace(/\W+/g, '-')}-${index}`),
  );
  for (const one of folders) await mkdir(one, { recursive: true });
  const hosts = [setup.upstream.host, ...(setup.mirror ? [setup.mirror.host] : [])];
  const client = loader(1, {
    LOADER_REGISTRY_PLAIN_HTTP: hosts.join(','),
    ...(setup.mirror ? { LOADER_REGISTRY_MIRRORS: setup.mirror.host } : {}),
  });
  const url = `oci://${setup.upstream.host}/${repository}:1.0`;
  const launched = await launchAll(
    folders.map((one) =>
      client.command({
        url,
        sizeBytes: spec.sizeBytes,
        sha256: spec.sha256,
        output: join(one, 'app.jar'),
      }),
    ),
    folders,
  );
  let identical = 0;
  for (const one of folders) {
    if ((await sha256Of(join(one, 'app.jar'))) === spec.sha256) identical += 1;
    await rm(one, { recursive: true, force: true });
  }
  // The upstream's counts settle once the cache has finished its own fetches too.
  if (setup.cache) await setup.mirrorStored(spec.digest);
  const upstream = setup.upstream.blobGets().slice(upstreamBefore.length);
  return {
    name: spec.name,
    loaders: spec.loaders,
    succeeded: launched.samples.filter((sample) => sample.exitCode === 0).length,
    identical,
    wallMs: launched.allDoneMs,
    upstreamBlobGets: upstream.length,
    upstreamBlobBytes: upstream.reduce((sum, request) => sum + request.bytesSent, 0),
    mirrorBlobGets: setup.mirror ? setup.mirror.blobGets().length - mirrorBefore : undefined,
    registryPeakRssMiB: setup.registry.peakRssBytes() / mib,
    mirrorPeakRssMiB: setup.cache ? setup.cache.peakRssBytes() / mib : undefined,
  };
}

export function formatOciHerd(cases: readonly OciHerdCase[], sizeBytes: number): string {
  const header = [
    'case',
    'succeeded',
    'identical',
    'wall',
    'upstream blob GETs',
    'upstream blob bytes',
    'loaders → mirror GETs',
    'registry peak RSS',
    'mirror peak RSS',
  ];
  const rows = cases.map((c) => [
    c.name,
    `${c.succeeded}/${c.loaders}`,
    `${c.identical}/${c.loaders}`,
    `${(c.wallMs / 1000).toFixed(1)} s`,
    String(c.upstreamBlobGets),
    `${(c.upstreamBlobBytes / mib).toFixed(0)} MiB`,
    c.mirrorBlobGets === undefined ? '-' : String(c.mirrorBlobGets),
    `${c.registryPeakRssMiB.toFixed(0)} MiB`,
    c.mirrorPeakRssMiB === undefined ? '-' : `${c.mirrorPeakRssMiB.toFixed(0)} MiB`,
  ]);
  return markdownTable(
    `oci:// herd: a ${sizeBytes / mib} MiB JAR pushed as oras pushes it, to Distribution 2.8; the mirror is a pull-through cache of it (peak RSS is each process's VmHWM over its whole life)`,
    header,
    rows,
  );
}
