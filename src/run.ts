import { abandonedAfterMs, type TempFileSweep } from './artifact/abandoned-temp-files.ts';
import { TempArtifact } from './artifact/temp-artifact.ts';
import { newRecord } from './artifact/verification-record.ts';
import type { LoaderConfig } from './config/types.ts';
import { download } from './download/download.ts';
import { discardBody, type Response } from './download/http/request.ts';
import { keepOrRefetch } from './download/revalidate/keep-verified.ts';
import { type DownloadDependencies, DownloadSession } from './download/session.ts';
import { LoaderError } from './errors.ts';
import type { Logger } from './log/logger.ts';
import { plan } from './plan/plan.ts';
import { stableModifiedTime } from './publish/modified-time.ts';
import { publishAtomically } from './publish/publish.ts';
import type { RunResult } from './report/run-facts.ts';
import { expiryWarningAtStart, type UrlValidity } from './urls/expiry.ts';
import { prepareSignatureCheck } from './verify/signature/publisher-signature.ts';
import { verifyArtifact } from './verify/verify-artifact.ts';

/**
 * The whole job, stage by stage: plan -> (revalidate) -> download -> verify -> publish.
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
    logger.info(
      'already-present',
      'the artifact in place matches ARTIFACT_SHA256; not downloading',
      {
        path: config.outputPath,
        sha256: planned.sha256,
      },
    );
    return {
      outcome: 'already-present',
      bytes: config.expectedSizeBytes,
      sha256: planned.sha256,
      attempts: 0,
      resumedBytes: 0,
      ...(planned.signedBy === undefined ? {} : { signedBy: planned.signedBy }),
    };
  }
  // Every request from here on is one of this session's: it counts the run's attempts.
  const session = new DownloadSession(config, deps);
  let handedOver: Response | undefined;
  if (planned.action === 'download') {
    logger.info('plan', `downloading: ${planned.reason}`, { reason: planned.reason });
    warnAboutUrlExpiry(session.context.urlValidity, logger, deps.remainingMs());
  } else {
    // Before the conditional request too: if the object changed, it is a full download.
    warnAboutUrlExpiry(session.context.urlValidity, logger, deps.remainingMs());
    const { record } = planned;
    const next = await keepOrRefetch(config, session, record, signal).catch((error: unknown) => {
      throw withAttempts(error, session);
    });
    if (next.outcome === 'download') handedOver = next.response;
    else
      return {
        ...next,
        bytes: record.sizeBytes,
        sha256: record.sha256,
        attempts: session.attempts,
        resumedBytes: 0,
        // Kept only when its signer is still given (plan's signerProblem): the record is the proof.
        ...(config.publicKeys === undefined || record.signedBy === undefined
          ? {}
          : { signedBy: record.signedBy }),
      };
  }

  // Before the first byte: a bad signature fails now, and nothing is downloaded.
  const signature = await prepareSignatureCheck(config, session, signal).catch((error: unknown) => {
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
  try {
    const { version, resumedBytes } = await download(config, session, temp, signal, handedOver);
    const verified = await verifyArtifact(config, temp, signal, signature);
    const { sha256, jarCheck } = verified;
    const signerId = verified.signedBy?.keyId;
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
      record: newRecord(config.url, temp.bytesWritten, sha256, jarCheck, version, signerId),
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
    const signer = signerId === undefined ? {} : { signedBy: signerId };
    return { outcome: 'downloaded', bytes, sha256, attempts, resumedBytes, ...signer };
  } catch (error) {
    if (error instanceof LoaderError) {
      withAttempts(error, session);
      session.facts.wrote(error, temp.bytesWritten);
      // For audit: the digest of a complete body that was refused.
      if (temp.bytesWritten === config.expectedSizeBytes)
        session.facts.refusedDigest(error, temp.digestHex());
    }
    throw error;
  } finally {
    if (!published) await temp.discard();
    await signature?.close();
  }
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
