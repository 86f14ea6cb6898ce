import { abandonedAfterMs, type TempFileSweep } from './artifact/abandoned-temp-files.ts';
import { TempArtifact } from './artifact/temp-artifact.ts';
import {
  newRecord,
  type OciOrigin,
  type VerificationRecord,
} from './artifact/verification-record.ts';
import type { LoaderConfig } from './config/types.ts';
import { type DownloadReport, download } from './download/download.ts';
import { discardBody, type Response } from './download/http/request.ts';
import { type KeptFile, keepOrRefetch } from './download/revalidate/keep-verified.ts';
import { type DownloadDependencies, DownloadSession } from './download/session.ts';
import { LoaderError } from './errors.ts';
import type { Logger } from './log/logger.ts';
import { repositoryOf } from './oci/reference.ts';
import { plan } from './plan/plan.ts';
import { recordedSigner } from './plan/verified-file.ts';
import { stableModifiedTime } from './publish/modified-time.ts';
import { publishAtomically } from './publish/publish.ts';
import type { RunResult } from './report/run-facts.ts';
import { pullArtifact } from './resolve/pull.ts';
import { type Resolved, resolveArtifact } from './resolve/resolve.ts';
import { expiryWarningAtStart, type UrlValidity } from './urls/expiry.ts';
import { prepareSignatureCheck } from './verify/signature/publisher-signature.ts';
import { verifyArtifact } from './verify/verify-artifact.ts';

/** What the download stage did, and what the file it made must be. */
interface Fetched extends DownloadReport {
  /** The size the verify stage holds the file to, and the name of where it comes from. */
  readonly expected: { readonly bytes: number; readonly name: string };
  /** For an `oci://` artifact: what it was pulled from, for the record. */
  readonly oci: OciOrigin | undefined;
}

/**
 * The whole job, stage by stage: plan -> resolve -> (revalidate) -> download -> verify -> publish.
 * Resolves when the verified artifact is in place; otherwise throws a
 * LoaderError and leaves the target as it was, with no temp file behind. The
 * facts of the failure (attempts, bytes, digest, why retries stopped) are in
 * `deps.facts`, about the error thrown.
 */
export async function run(
  config: LoaderConfig,
  deps: DownloadDependencies,
  signal: AbortSignal,
): Promise<RunResult> {
  const { logger } = deps;
  const planned = await plan(config, signal);
  reportTempFiles(logger, planned.tempFiles);
  if (planned.action === 'skip') {
    logger.info('already-present', planned.reason, {
      path: config.outputPath,
      sha256: planned.sha256,
    });
    return {
      outcome: 'already-present',
      bytes: planned.bytes,
      sha256: planned.sha256,
      attempts: 0,
      resumedBytes: 0,
      ...(planned.signedBy === undefined ? {} : { signedBy: planned.signedBy }),
    };
  }
  // Every request from here on is one of this session's: it counts the run's attempts.
  const session = new DownloadSession(config, deps);
  if (planned.action === 'download') {
    logger.info('plan', `downloading: ${planned.reason}`, { reason: planned.reason });
  }
  const resolved = await resolveArtifact(config, planned, session, signal).catch(
    (error: unknown) => {
      throw withAttempts(error, session);
    },
  );
  if (resolved.kind === 'kept') {
    return keptResult(resolved.kept, resolved.record, session.attempts, config);
  }
  let handedOver: Response | undefined;
  if (resolved.kind === 'url') {
    session.aim(resolved.target);
    // Before the conditional request too: if the object changed, it is a full download.
    warnAboutUrlExpiry(resolved.target.urlValidity, logger, deps.remainingMs());
  }
  if (resolved.kind === 'url' && planned.action === 'revalidate') {
    const { record } = planned;
    const next = await keepOrRefetch(config, session, record, signal).catch((error: unknown) => {
      throw withAttempts(error, session);
    });
    if (next.outcome !== 'download') return keptResult(next, record, session.attempts, config);
    handedOver = next.response;
  }

  // Before the first byte: a bad signature fails now, and nothing is downloaded.
  const signature = await prepareSignatureCheck(
    config,
    session,
    sizeBeforeDownload(resolved),
    signal,
  ).catch((error: unknown) => {
    if (handedOver !== undefined) discardBody(handedOver.body);
    throw withAttempts(error, session);
  });
  const temp = await TempArtifact.create(config.outputPath).catch(async (error: unknown) => {
    if (handedOver !== undefined) discardBody(handedOver.body);
    await signature?.close();
    throw error;
  });
  if (signature !== undefined) temp.follow(signature);
  let published = false;
  // The size a complete file has: known before the download, except an image's JAR without ARTIFACT_EXPECTED_SIZE.
  let expectedBytes =
    resolved.kind === 'url' ? resolved.target.expectedSizeBytes : resolved.pull.expectedSizeBytes;
  try {
    const fetched = await fetchInto(config, session, resolved, temp, signal, handedOver);
    const { version, resumedBytes, expected } = fetched;
    expectedBytes = expected.bytes;
    const verified = await verifyArtifact(config, temp, signal, expected, signature);
    const { sha256, jarCheck } = verified;
    // A detached signature of the JAR was checked as it streamed; an image's signature, before its layers.
    const imageSigner = resolved.kind === 'oci' ? resolved.pull.signedBy : undefined;
    const signerId = verified.signedBy?.keyId ?? imageSigner?.keyId;
    if (jarCheck === 'not-a-zip') {
      logger.warn(
        'not-a-jar',
        'the artifact is not a zip/JAR (no zip signature at its start, no end-of-central-directory record): published without the JAR check; set LOADER_VERIFY_JAR=true to refuse it',
        { sha256, bytes: temp.bytesWritten },
      );
    }
    signal.throwIfAborted();
    const { folderSynced } = await publishAtomically(temp, config.outputPath, {
      modifiedAt: stableModifiedTime(version, sha256),
      record: newRecord(
        fetched.oci ?? urlOf(config),
        temp.bytesWritten,
        sha256,
        jarCheck,
        version,
        signerId,
      ),
    });
    published = true;
    if (!folderSynced) {
      logger.warn(
        'folder-not-synced',
        'the artifact is in place, but the folder could not be fsynced: a power loss now could undo the rename',
        {
          path: config.outputPath,
        },
      );
    }
    const bytes = temp.bytesWritten;
    const attempts = session.attempts;
    const oci = fetched.oci && { manifestDigest: fetched.oci.manifestDigest };
    const signer = signerId === undefined ? {} : { signedBy: signerId };
    return { outcome: 'downloaded', bytes, sha256, attempts, resumedBytes, ...oci, ...signer };
  } catch (error) {
    if (error instanceof LoaderError) {
      withAttempts(error, session);
      session.facts.wrote(error, temp.bytesWritten);
      // For audit: the digest of a complete body that was refused.
      if (temp.bytesWritten === expectedBytes) session.facts.refusedDigest(error, temp.digestHex());
    }
    throw error;
  } finally {
    if (!published) await temp.discard();
    await signature?.close();
  }
}

/**
 * The download stage into `temp`: a URL's bytes with the download core, or
 * an `oci://` artifact's blob with the same core (see resolve/pull.ts).
 */
async function fetchInto(
  config: LoaderConfig,
  session: DownloadSession,
  resolved: Exclude<Resolved, { kind: 'kept' }>,
  temp: TempArtifact,
  signal: AbortSignal,
  handedOver: Response | undefined,
): Promise<Fetched> {
  if (resolved.kind === 'url') {
    const report = await download(config, session, temp, signal, handedOver);
    const bytes = resolved.target.expectedSizeBytes;
    return { ...report, expected: { bytes, name: resolved.target.sizeName }, oci: undefined };
  }
  const { pull } = resolved;
  const report = await pullArtifact(config, session, pull, temp, signal);
  const { reference } = pull.client;
  const given = pull.expectedSizeBytes;
  return {
    ...report,
    expected:
      given === undefined
        ? { bytes: report.jarSizeBytes, name: 'the size in the image' }
        : { bytes: given, name: 'ARTIFACT_EXPECTED_SIZE' },
    oci: {
      repository: repositoryOf(reference),
      reference: reference.display,
      manifestDigest: pull.manifestDigest,
      blobDigest: report.blobDigest,
      file: `/${pull.path}`,
    },
  };
}

/** The JAR's size known before the download: a URL's, or ARTIFACT_EXPECTED_SIZE or a raw layer's for oci://. */
function sizeBeforeDownload(resolved: Exclude<Resolved, { kind: 'kept' }>): number | undefined {
  if (resolved.kind === 'url') return resolved.target.expectedSizeBytes;
  const { pull } = resolved;
  return (
    pull.expectedSizeBytes ??
    (pull.plan.extract.kind === 'raw' ? pull.plan.blob.sizeBytes : undefined)
  );
}

/** The result of a run that leaves the verified file in place: its record describes it. */
function keptResult(
  kept: KeptFile,
  record: VerificationRecord,
  attempts: number,
  config: LoaderConfig,
): RunResult {
  return {
    ...kept,
    bytes: record.sizeBytes,
    sha256: record.sha256,
    attempts,
    resumedBytes: 0,
    ...(record.manifestDigest === undefined ? {} : { manifestDigest: record.manifestDigest }),
    ...recordedSigner(record, config.publicKeys),
  };
}

/** The signed URL of a run that fetches one. */
function urlOf(config: LoaderConfig): URL {
  if (config.artifact.kind !== 'url') throw new Error('an oci:// artifact has no URL');
  return config.artifact.url;
}

/** The run's attempts, a fact of the error that ends it once a request was made: counted by the session, and told here. */
function withAttempts(error: unknown, session: DownloadSession): unknown {
  if (session.requested) session.facts.attempts(error, session.attempts);
  return error;
}

/** Events for the temp files plan swept: removed (abandoned), or left to a run still writing them. */
function reportTempFiles(logger: Logger, { removed, inUse }: TempFileSweep): void {
  if (removed.length > 0) {
    logger.info(
      'stale-temp-removed',
      `removed ${removed.length} temp file(s) left by an interrupted run`,
      { files: removed },
    );
  }
  if (inUse.length > 0) {
    logger.info(
      'temp-in-use',
      `left ${inUse.length} temp file(s) alone: another run may be writing them (changed within ${abandonedAfterMs / 1000} s)`,
      { files: inUse },
    );
  }
}

/** Event `url-expiry` when the URL has expired, expires within the deadline, or is dated ahead. */
function warnAboutUrlExpiry(
  validity: UrlValidity | undefined,
  logger: Logger,
  remainingMs: number,
): void {
  const warning = validity && expiryWarningAtStart(validity, Date.now(), remainingMs);
  if (warning) logger.warn('url-expiry', warning.message, warning.fields);
}
