import type { VerificationRecord } from '../../artifact/verification-record.ts';
import type { LoaderConfig } from '../../config/types.ts';
import type { LoaderError } from '../../errors.ts';
import { failureMessage } from '../../report/run-facts.ts';
import { firstPartOf } from '../download.ts';
import type { Response } from '../http/request.ts';
import type { DownloadSession } from '../session.ts';
import { conditionalHeaders } from './object-version.ts';
import { type Asked, revalidate } from './revalidate.ts';

/** A run that ends with the verified file in place, untouched. */
export interface KeptFile {
  readonly outcome: 'not-modified' | 'kept-verified';
  /** For kept-verified: why the server's word could not be had. */
  readonly reason?: string;
}

/**
 * The stage for a file an earlier run verified (plan's `revalidate`): ask the
 * server whether it changed. A 304 keeps it. A 401/403 or a server out of
 * reach keeps it too, with a warning, unless LOADER_KEEP_VERIFIED is off: this
 * is a pod restarted after its signed URL expired, and the file is still the
 * one that URL granted. A 200 is returned to be downloaded as any other, in
 * the same session, so its attempts go on counting there.
 */
export async function keepOrRefetch(
  config: LoaderConfig,
  session: DownloadSession,
  record: VerificationRecord,
  signal: AbortSignal,
): Promise<KeptFile | { readonly outcome: 'download'; readonly response: Response }> {
  const { logger } = session;
  const recorded = { etag: record.etag, lastModified: record.lastModified };
  const unconditional =
    Object.keys(conditionalHeaders(recorded)).length === 0
      ? ' (the record holds no ETag or Last-Modified to make the request conditional on)'
      : '';
  logger.info(
    'revalidate',
    `${config.outputPath} was verified at ${record.verifiedAt}; asking the server whether it changed${unconditional}`,
    {
      path: config.outputPath,
      verifiedAt: record.verifiedAt,
      etag: record.etag,
      lastModified: record.lastModified,
    },
  );
  const firstPart = firstPartOf(config, session.target.expectedSizeBytes);
  const answer = await revalidate(session, recorded, firstPart, signal);
  if (answer.kind === 'not-modified') {
    logger.info('not-modified', 'the server says the verified file in place is current (304)', {
      path: config.outputPath,
      sha256: record.sha256,
    });
    return { outcome: 'not-modified' };
  }
  if (answer.kind === 'changed') {
    const reason = changedReason(answer.response.status, answer.asked);
    logger.info('plan', `downloading: ${reason}`, { reason });
    return { outcome: 'download', response: answer.response };
  }
  const { error } = answer;
  if (!config.keepVerified) throw error;
  const why = keptWithoutConfirmation(session, config.outputPath, record, error, "the server's");
  return { outcome: 'kept-verified', reason: why };
}

/** Why the answer handed over is downloaded, as the request that brought it was asked. */
function changedReason(status: number, asked: Asked): string {
  if (asked === 'conditional')
    return `the object changed: the server answered ${status} to a request conditional on the verified file`;
  const before =
    asked === 'no-validator'
      ? 'the verification record holds no ETag or Last-Modified to ask whether the object changed'
      : "the server's 304 did not match the verification record";
  return `${before}; the server answered ${status} to a request without a condition`;
}

/**
 * The warning of a verified file kept because its source could not confirm
 * it (LOADER_KEEP_VERIFIED): `source` is "the server's" or "the registry's".
 * Returns why, as the run's result says it.
 */
export function keptWithoutConfirmation(
  session: DownloadSession,
  outputPath: string,
  record: VerificationRecord,
  error: LoaderError,
  source: string,
): string {
  const why = failureMessage(error, session.facts.about(error));
  session.logger.warn(
    'kept-verified',
    `keeping ${outputPath}, verified at ${record.verifiedAt}, without ${source} confirmation: ${why}`,
    {
      path: outputPath,
      sha256: record.sha256,
      verifiedAt: record.verifiedAt,
      reason: why,
      code: error.code,
      status: error.details.status,
      errorCode: error.details.errorCode,
      setting: 'LOADER_KEEP_VERIFIED',
    },
  );
  return why;
}
