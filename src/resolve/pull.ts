/**
 * Fetching what the resolve stage found, with the download core: the layer
 * blob, from the mirrors still in use and then the registry, into a temp
 * file, its SHA-256 checked against the descriptor's digest before anything
 * is taken from it. For a file pushed as an artifact the blob is the JAR,
 * written straight into the JAR's temp file. For an image the blob is a tar
 * layer in a temp file of its own, and the JAR is extracted from it into the
 * JAR's temp file while it downloads (extract/layer-extractor.ts); the layers
 * are searched from the top down, each lower one only while the file is
 * absent from all above it.
 *
 * Bytes that do not hash to the digest are never used. When a mirror sent
 * any of them, the mirrors that did are dropped for the run and the blob is
 * fetched again from the next source; when the registry alone sent them, the
 * run fails with exit 6 and nothing is published.
 */
import { TempArtifact } from '../artifact/temp-artifact.ts';
import type { LoaderConfig } from '../config/types.ts';
import { type DownloadReport, download } from '../download/download.ts';
import type { DownloadSession } from '../download/session.ts';
import type { DownloadTarget } from '../download/target.ts';
import { ConfigError, IntegrityError } from '../errors.ts';
import { LayerExtractor } from '../extract/layer-extractor.ts';
import type { VerifiedSignature } from '../verify/signature/check.ts';
import type { FetchPlan, LayerFetch } from './fetch-plan.ts';
import type { RegistryClient } from './registry-client.ts';

/** What the resolve stage found for an `oci://` reference, to be pulled. */
export interface OciPull {
  readonly client: RegistryClient;
  readonly plan: FetchPlan;
  /** The digest the reference resolved to (a tag's manifest or index, or the pinned one). */
  readonly manifestDigest: string;
  /** ARTIFACT_EXPECTED_SIZE, when set: the JAR's size. */
  readonly expectedSizeBytes: number | undefined;
  /** The JAR's path in the image, relative: `app.jar`. */
  readonly path: string;
  /** How errors name the setting of that path. */
  readonly pathSetting: string;
  /** The image's cosign signature that verified, when keys were given without ARTIFACT_SIGNATURE_URL. */
  readonly signedBy: VerifiedSignature | undefined;
}

export interface PullReport extends DownloadReport {
  /** The layer the JAR came from. */
  readonly blobDigest: string;
  /** The JAR's size as the manifest (a file) or the layer's tar entry (an image) gave it. */
  readonly jarSizeBytes: number;
}

/** Pulls the JAR into `jar`, the temp file that will be verified and published. */
export async function pullArtifact(
  config: LoaderConfig,
  session: DownloadSession,
  pull: OciPull,
  jar: TempArtifact,
  signal: AbortSignal,
): Promise<PullReport> {
  const { plan, client } = pull;
  if (plan.extract.kind === 'raw') {
    const report = await fetchBlob(
      config,
      session,
      client.blobTarget(plan.blob),
      plan,
      jar,
      signal,
    );
    return { ...report, blobDigest: plan.blob.digest, jarSizeBytes: plan.blob.sizeBytes };
  }
  const layers = [plan, ...plan.lowerLayers];
  for (const [fromTop, layer] of layers.entries()) {
    const found = await searchLayer(config, session, pull, layer, jar, signal);
    if (found === undefined) continue;
    if (found.kind === 'hidden') {
      throw new ConfigError(
        `the image has no /${pull.path}: layer ${layers.length - fromTop} of ${layers.length} removes it (${JSON.stringify(found.by)}); set ${pull.pathSetting} to the JAR's path in the image`,
      );
    }
    return { ...found.report, blobDigest: layer.blob.digest, jarSizeBytes: found.sizeBytes };
  }
  throw new ConfigError(
    `the image has no /${pull.path} in its ${layers.length} layer(s); set ${pull.pathSetting} to the JAR's path in the image`,
  );
}

type LayerResult =
  | { readonly kind: 'found'; readonly sizeBytes: number; readonly report: DownloadReport }
  | { readonly kind: 'hidden'; readonly by: string };

/** One layer, downloaded into a temp file of its own and searched as it comes; undefined: not in it. */
async function searchLayer(
  config: LoaderConfig,
  session: DownloadSession,
  pull: OciPull,
  layer: LayerFetch,
  jar: TempArtifact,
  signal: AbortSignal,
): Promise<LayerResult | undefined> {
  const { extract } = layer;
  if (extract.kind !== 'tar') throw new Error('a lower layer that is not a tar layer');
  const blob = await TempArtifact.create(config.outputPath);
  const extractor = new LayerExtractor(jar, {
    compression: extract.compression,
    path: extract.path,
    expectedSizeBytes: pull.expectedSizeBytes,
  });
  let finished = false;
  try {
    blob.follow(extractor);
    const target = pull.client.blobTarget(layer.blob);
    const report = await fetchBlob(config, session, target, layer, blob, signal);
    finished = true;
    const result = await extractor.finish();
    if (result.kind === 'absent') return undefined;
    if (result.kind === 'hidden') return result;
    return { kind: 'found', sizeBytes: result.sizeBytes, report };
  } finally {
    if (!finished) await extractor.abandon();
    await blob.discard();
  }
}

/**
 * The blob into `temp` with the download core, until its bytes hash to the
 * digest: the mirrors that sent bytes that did not are dropped and the blob
 * is fetched anew from the next source; the registry's wrong bytes end the run.
 */
async function fetchBlob(
  config: LoaderConfig,
  session: DownloadSession,
  target: DownloadTarget,
  { blob }: LayerFetch,
  temp: TempArtifact,
  signal: AbortSignal,
): Promise<DownloadReport> {
  for (;;) {
    session.aim(target);
    const report = await download(config, session, temp, signal);
    const actual = `sha256:${temp.digestHex()}`;
    if (actual === blob.digest) return report;
    const error = new IntegrityError(
      `checksum mismatch: the blob ${blob.digest} as received hashes to ${actual}; nothing was published`,
      { details: { expectedDigest: blob.digest, actualDigest: actual } },
    );
    const mirrors = target.sources.mirrorsAsked();
    if (mirrors.length === 0) throw error;
    for (const mirror of mirrors) target.sources.drop(mirror, error);
    target.sources.forgetAsked();
    session.logger.warn(
      'restart',
      `discarding ${temp.bytesWritten} bytes that do not hash to ${blob.digest}, fetching them again`,
      { discardedBytes: temp.bytesWritten, reason: error.message },
    );
    await temp.reset();
  }
}
