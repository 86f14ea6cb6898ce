import type { TempArtifact } from '../artifact/temp-artifact.ts';
import type { LoaderConfig } from '../config/types.ts';
import { LoaderError } from '../errors.ts';
import { downloadParts } from './parts/download-parts.ts';
import { openFirstPart } from './parts/first-part.ts';
import { openingOf } from './parts/opening.ts';
import type { Part } from './parts/part.ts';
import { partCountFor, planParts } from './parts/plan.ts';
import { retry } from './retry/retry.ts';
import type { ObjectVersion } from './revalidate/object-version.ts';
import { type DownloadDependencies, DownloadSession } from './session.ts';
import { downloadWhole, type WholeStart } from './whole/download-whole.ts';

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
 * one connection. Either way the file ends hashed, in order. `start` is an
 * answer already received to a conditional request (see revalidate) made as
 * this download's first request: with the Range of part 0 (firstPartOf) when
 * the artifact comes in parts, without one otherwise.
 */
export async function download(
  config: LoaderConfig,
  deps: DownloadDependencies,
  temp: TempArtifact,
  signal: AbortSignal,
  start?: WholeStart,
): Promise<DownloadReport> {
  const session = new DownloadSession(config, deps);
  // A bar on a terminal is redrawn on time, not only when bytes arrive, as curl's meter is.
  const redraw = config.progressBar
    ? setInterval(() => session.progress.tick(), config.progressIntervalMs).unref()
    : undefined;
  // Retries before a handed-over answer were counted where it was asked for.
  const attempts = () => session.attempts + (start?.attempt ?? 1) - 1;
  try {
    const parts = partsOf(config);
    if (parts === undefined) {
      const resumedBytes = await downloadWhole(session, temp, signal, start);
      return { attempts: attempts(), resumedBytes, version: session.version };
    }
    try {
      const resumedBytes = await downloadInPartsOrWhole(
        session,
        config,
        parts,
        temp,
        signal,
        start,
      );
      return { attempts: attempts(), resumedBytes, version: session.version };
    } catch (error) {
      // Each retry loop numbers its own attempts; the run's count is 1 plus all their retries.
      if (error instanceof LoaderError) error.details.attempts = attempts();
      throw error;
    }
  } finally {
    clearInterval(redraw);
  }
}

/** Part 0, when the artifact is to be fetched in parts; undefined for one connection. */
export function firstPartOf(config: LoaderConfig): Part | undefined {
  return partsOf(config)?.[0];
}

function partsOf(config: LoaderConfig): readonly [Part, ...Part[]] | undefined {
  if (config.connections < 2 || config.expectedSizeBytes < config.parallelThresholdBytes)
    return undefined;
  const parts = planParts(
    config.expectedSizeBytes,
    partCountFor(config.expectedSizeBytes, config.connections),
  );
  const [first] = parts;
  return first === undefined || parts.length < 2 ? undefined : [first, ...parts.slice(1)];
}

/** The first request (part 0) decides: the other parts, or one connection; a mismatch falls back. */
async function downloadInPartsOrWhole(
  session: DownloadSession,
  config: LoaderConfig,
  parts: readonly [Part, ...Part[]],
  temp: TempArtifact,
  signal: AbortSignal,
  start: WholeStart | undefined,
): Promise<number> {
  const { logger } = session;
  const [firstPart] = parts;
  const { value: opening, attempts } =
    start?.response === undefined
      ? await retry(
          () => openFirstPart(session.context, firstPart, signal),
          session.policy,
          signal,
          session.onRetry(() => 0, 0),
        )
      : {
          value: await openingOf(session.context, start.response, firstPart),
          attempts: start.attempt,
        };
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
