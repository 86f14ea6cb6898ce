import type { LoaderConfig } from '../config/types.ts';
import { LoaderError } from '../errors.ts';
import type { TempArtifact } from '../publish/temp-file.ts';
import { openFirstPart } from './first-part.ts';
import type { ObjectVersion } from './object-version.ts';
import { downloadParts } from './parallel.ts';
import { retry } from './retry.ts';
import { partCountFor, planParts } from './segments.ts';
import { type DownloadDependencies, DownloadSession } from './session.ts';
import { downloadWhole, type WholeStart } from './whole.ts';

export type { DownloadDependencies } from './session.ts';

export interface DownloadReport {
  /** 1 plus every retry, in all parts together: 1 means nothing failed. */
  readonly attempts: number;
  /** Bytes kept from failed attempts and not downloaded again. */
  readonly resumedBytes: number;
  /** Validators of the response that began the file. */
  readonly version: ObjectVersion;
}

/**
 * The download stage, into one temp file: in parts over several connections
 * when the artifact is large enough and the server shows it can (see
 * openFirstPart), otherwise, or when a part does not come back as asked, on
 * one connection. Either way the file ends hashed, in order. `start` is a 200
 * already received (to a conditional request): it is streamed on one connection.
 */
export async function download(
  config: LoaderConfig,
  deps: DownloadDependencies,
  temp: TempArtifact,
  signal: AbortSignal,
  start?: WholeStart,
): Promise<DownloadReport> {
  const session = new DownloadSession(config, deps);
  if (
    start !== undefined ||
    config.connections < 2 ||
    config.expectedSizeBytes < config.parallelThresholdBytes
  ) {
    const resumedBytes = await downloadWhole(session, temp, signal, start);
    // Retries before the handed-over answer were counted where it was asked for.
    const attempts = session.attempts + (start?.attempt ?? 1) - 1;
    return { attempts, resumedBytes, version: session.version };
  }
  try {
    const resumedBytes = await downloadInPartsOrWhole(session, config, temp, signal);
    return { attempts: session.attempts, resumedBytes, version: session.version };
  } catch (error) {
    // Each retry loop numbers its own attempts; the run's count is 1 plus all their retries.
    if (error instanceof LoaderError) error.details.attempts = session.attempts;
    throw error;
  }
}

/** The first request (part 0) decides: the other parts, or one connection; a mismatch falls back. */
async function downloadInPartsOrWhole(
  session: DownloadSession,
  config: LoaderConfig,
  temp: TempArtifact,
  signal: AbortSignal,
): Promise<number> {
  const { logger } = session;
  const parts = planParts(
    config.expectedSizeBytes,
    partCountFor(config.expectedSizeBytes, config.connections),
  );
  const [firstPart] = parts;
  if (firstPart === undefined || parts.length < 2) return downloadWhole(session, temp, signal);
  const { value: opening, attempts } = await retry(
    () => openFirstPart(session.context, firstPart, signal),
    session.policy,
    signal,
    session.onRetry(() => 0, 0),
  );
  if (opening.kind !== 'parts') {
    logger.info('single-connection', `downloading on one connection: ${opening.reason}`, {
      reason: opening.reason,
    });
    const response = opening.kind === 'whole' ? opening.response : undefined;
    return downloadWhole(session, temp, signal, { attempt: attempts, response });
  }
  session.context.onWholeObject(opening.response.headers);
  const connections = Math.min(config.connections, parts.length);
  logger.info('parts', `downloading in ${parts.length} parts on ${connections} connections`, {
    parts: parts.length,
    connections,
    partBytes: firstPart.lastByte + 1,
  });
  const outcome = await downloadParts(
    session,
    temp,
    parts,
    { ...opening, attempts, connections },
    signal,
  );
  if (outcome.kind === 'done') return outcome.resumedBytes;
  logger.warn(
    'restart',
    `discarding ${outcome.writtenBytes} bytes of parts, starting over on one connection: ${outcome.reason}`,
    { discardedBytes: outcome.writtenBytes, reason: outcome.reason, fallback: 'single-connection' },
  );
  await temp.reset();
  return downloadWhole(session, temp, signal);
}
