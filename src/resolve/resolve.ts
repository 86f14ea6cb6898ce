/**
 * The resolve stage: what ARTIFACT_URL names, turned into what the download
 * fetches. For a signed http(s) URL that is the URL itself with
 * ARTIFACT_EXPECTED_SIZE (urlTarget). For an `oci://` reference it asks the
 * registry: the manifest the reference names (an index: the entry for this
 * machine), the layer that holds the JAR and how to take it out (see
 * fetch-plan.ts), with the registry's credentials and mirrors (see
 * registry-client.ts); the pull then fetches it (pull.ts).
 *
 * On a re-run with the JAR an earlier run verified in place, a tag is asked
 * about and nothing more: the registry says what it points at now (HEAD),
 * and the same manifest digest as the record's keeps the file untouched
 * (`not-modified`). A registry that refuses the credentials or cannot be
 * reached keeps it too, with a `kept-verified` warning, exactly as for a URL
 * (LOADER_KEEP_VERIFIED).
 *
 * With keys and no ARTIFACT_SIGNATURE_URL, the image's cosign signature is
 * found and checked once the manifest is known, before any layer is asked
 * for (cosign-signature.ts).
 */
import type { VerificationRecord } from '../artifact/verification-record.ts';
import { namesOf } from '../config/read-setting.ts';
import { settings } from '../config/settings.ts';
import type { LoaderConfig } from '../config/types.ts';
import { type KeptFile, keptWithoutConfirmation } from '../download/revalidate/keep-verified.ts';
import { isUnanswered } from '../download/revalidate/revalidate.ts';
import type { DownloadSession } from '../download/session.ts';
import { type DownloadTarget, urlTarget } from '../download/target.ts';
import { ConfigError } from '../errors.ts';
import type { Plan } from '../plan/plan.ts';
import { readAuthFile } from './auth-file.ts';
import { verifyImageSignature } from './cosign-signature.ts';
import { planFetch } from './fetch-plan.ts';
import type { ImageManifest } from './manifest.ts';
import { machinePlatform, selectManifest } from './platform.ts';
import type { OciPull } from './pull.ts';
import { type FetchedManifest, RegistryClient } from './registry-client.ts';

export type Resolved =
  /** A signed URL: the download's target. */
  | { readonly kind: 'url'; readonly target: DownloadTarget }
  /** An `oci://` reference: what to pull. */
  | { readonly kind: 'oci'; readonly pull: OciPull }
  /** The JAR in place stays: the registry confirmed it, or could not be asked. */
  | { readonly kind: 'kept'; readonly kept: KeptFile; readonly record: VerificationRecord };

/** Indexes inside indexes are followed this deep, no deeper. */
const maxIndexDepth = 2;

export async function resolveArtifact(
  config: LoaderConfig,
  planned: Exclude<Plan, { action: 'skip' }>,
  session: DownloadSession,
  signal: AbortSignal,
): Promise<Resolved> {
  const { artifact } = config;
  const { redactor } = session.requestContext;
  if (artifact.kind === 'url') {
    return { kind: 'url', target: urlTarget(artifact.url, artifact.expectedSizeBytes, redactor) };
  }
  const { reference, registry } = artifact;
  const authFile =
    registry.authFile === undefined ? undefined : readAuthFile(registry.authFile, redactor);
  const client = new RegistryClient(reference, registry, authFile, session);
  let fetched: FetchedManifest | undefined;
  let manifestReference = reference.manifestReference;
  if (planned.action === 'revalidate' && reference.tag !== undefined) {
    const asked = await askTag(config, client, reference.tag, planned.record, session, signal);
    if (asked.kind === 'kept') return asked;
    fetched = asked.fetched;
    manifestReference = asked.digest;
  }
  fetched ??= await client.manifest(manifestReference, reference.digest, signal);
  const { image, source } = await imageOf(client, fetched, signal);
  const path = artifact.registry.imageFile.slice(1);
  const pathSetting = namesOf(settings.ociFile);
  const what = `the manifest of ${reference.display}`;
  const plan = planFetch(
    image,
    { path, pathSetting, expectedSizeBytes: artifact.expectedSizeBytes },
    what,
  );
  const manifestDigest = fetched.document.digest;
  const shape = plan.extract.kind === 'raw' ? 'file' : 'image';
  session.logger.info(
    'resolve',
    `${reference.display} is ${manifestDigest}: ${shape === 'file' ? 'a file pushed as an artifact' : `an image, ${artifact.registry.imageFile} taken from its layers`}, in the blob ${plan.blob.digest} (${plan.blob.sizeBytes} bytes)`,
    {
      reference: reference.display,
      manifestDigest,
      ...(image.digest === manifestDigest ? {} : { imageManifestDigest: image.digest }),
      blobDigest: plan.blob.digest,
      blobBytes: plan.blob.sizeBytes,
      mediaType: plan.blob.mediaType,
      shape,
      ...(shape === 'image' ? { file: artifact.registry.imageFile } : {}),
      layers: image.layers.length,
      source,
      mirrors: client.liveMirrors,
    },
  );
  // Keys without ARTIFACT_SIGNATURE_URL: the image's own signature, checked before any layer is asked for.
  const { publicKeys } = config;
  const signedBy =
    publicKeys === undefined || config.signatureUrl !== undefined
      ? undefined
      : await verifyImageSignature(
          client,
          publicKeys,
          [manifestDigest, image.digest],
          session.logger,
          signal,
        );
  const pull: OciPull = {
    client,
    plan,
    manifestDigest,
    expectedSizeBytes: artifact.expectedSizeBytes,
    path,
    pathSetting,
    signedBy,
  };
  return { kind: 'oci', pull };
}

/** The image manifest a manifest leads to: itself, or an index's entry for this machine. */
async function imageOf(
  client: RegistryClient,
  fetched: FetchedManifest,
  signal: AbortSignal,
): Promise<{ image: ImageManifest; source: string }> {
  let { document, source } = fetched;
  for (let depth = 0; document.kind === 'index'; depth += 1) {
    const what = `the index ${document.digest} of ${client.reference.display}`;
    if (depth === maxIndexDepth) {
      throw new ConfigError(`${what} nests indexes more than ${maxIndexDepth} deep`);
    }
    const entry = selectManifest(document, thisMachine(), what);
    ({ document, source } = await client.manifest(entry.digest, entry.digest, signal));
  }
  return { image: document, source };
}

/** The platform this process runs on, as an index names platforms. */
function thisMachine() {
  const variables = process.config.variables as { arm_version?: unknown };
  const armVersion = typeof variables.arm_version === 'string' ? variables.arm_version : undefined;
  return machinePlatform(process.arch, armVersion);
}

type TagAsked =
  | { readonly kind: 'changed'; readonly digest: string; readonly fetched?: FetchedManifest }
  | Extract<Resolved, { kind: 'kept' }>;

/**
 * The re-run of a tag whose JAR an earlier run verified: what the tag
 * points at now, asked of the registry; the same digest keeps the file.
 */
async function askTag(
  config: LoaderConfig,
  client: RegistryClient,
  tag: string,
  record: VerificationRecord,
  session: DownloadSession,
  signal: AbortSignal,
): Promise<TagAsked> {
  const { logger } = session;
  const { outputPath } = config;
  const { display } = client.reference;
  logger.info(
    'revalidate',
    `${outputPath} was verified at ${record.verifiedAt} for ${record.reference} (${record.manifestDigest}); asking the registry what ${display} points at now`,
    {
      path: outputPath,
      verifiedAt: record.verifiedAt,
      reference: display,
      manifestDigest: record.manifestDigest,
    },
  );
  try {
    const answer = await client.tagDigest(tag, signal);
    if (answer.digest === record.manifestDigest) {
      logger.info(
        'not-modified',
        `the registry says ${display} still points at ${answer.digest}: the verified file in place is current`,
        { path: outputPath, sha256: record.sha256, manifestDigest: answer.digest },
      );
      return { kind: 'kept', kept: { outcome: 'not-modified' }, record };
    }
    const reason = `${display} now points at ${answer.digest}; the file in place was verified for ${record.manifestDigest}`;
    logger.info('plan', `downloading: ${reason}`, { reason });
    return {
      kind: 'changed',
      digest: answer.digest,
      ...(answer.fetched ? { fetched: answer.fetched } : {}),
    };
  } catch (error) {
    if (!isUnanswered(error) || !config.keepVerified) throw error;
    const why = keptWithoutConfirmation(session, outputPath, record, error, "the registry's");
    return { kind: 'kept', kept: { outcome: 'kept-verified', reason: why }, record };
  }
}
