import type { TempArtifact } from '../artifact/temp-artifact.ts';
import type { LoaderConfig } from '../config/types.ts';
import { tuneCompilerForDownloadOf } from '../process/v8-flags.ts';
import type { Response } from './http/request.ts';
import { downloadParts } from './parts/download-parts.ts';
import { openFirstPart, openingOf } from './parts/first-part.ts';
import type { Part } from './parts/part.ts';
import { partCountFor, planParts } from './parts/plan.ts';
import type { ObjectVersion } from './revalidate/object-version.ts';
import type { DownloadSession } from './session.ts';
import { downloadWhole } from './whole/download-whole.ts';

export interface DownloadReport {
  /** Bytes kept from failed attempts and not downloaded again. */
  readonly resumedBytes: number;
  /** Validators of the response that began the file. */
  readonly version: ObjectVersion;
}

/**
 * The download stage, into one temp file: in parts over several connections
 * when the artifact is large enough and the server shows it can (see
 * openFirstPart), otherwise, or when a part does not come back as asked, on
 * one connection. Either way the file ends hashed, in order. `handedOver` is
 * an answer already received to a conditional request (see revalidate) made
 * as this download's first request, in the session's first-bytes loop: with
 * the Range of part 0 (firstPartOf) when the artifact comes in parts, without
 * one otherwise. Attempts are counted by the session.
 */
export async function download(
  config: LoaderConfig,
  session: DownloadSession,
  temp: TempArtifact,
  signal: AbortSignal,
  handedOver?: Response,
): Promise<DownloadReport> {
  session.progress.begin();
  tuneCompilerForDownloadOf(session.target.expectedSizeBytes);
  // A bar on a terminal is redrawn on time, not only when bytes arrive, as curl's meter is.
  const redraw = config.progressBar
    ? setInterval(() => session.progress.tick(), config.progressIntervalMs).unref()
    : undefined;
  try {
    const parts = partsOf(config, session.target.expectedSizeBytes);
    const resumedBytes =
      parts === undefined
        ? await downloadWhole(session, temp, session.firstRequestLoop, signal, handedOver)
        : await downloadInPartsOrWhole(session, config, parts, temp, signal, handedOver);
    return { resumedBytes, version: session.version };
  } finally {
    clearInterval(redraw);
  }
}

/** Part 0, when `sizeBytes` are to be fetched in parts; undefined for one connection. */
export function firstPartOf(config: LoaderConfig, sizeBytes: number): Part | undefined {
  return partsOf(config, sizeBytes)?.[0];
}

function partsOf(config: LoaderConfig, sizeBytes: number): readonly [Part, ...Part[]] | undefined {
  if (config.connections < 2 || sizeBytes < config.parallelThresholdBytes) return undefined;
  const parts = planParts(sizeBytes, partCountFor(sizeBytes, config.connections));
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
  handedOver: Response | undefined,
): Promise<number> {
  const { logger } = session;
  const [firstPart] = parts;
  const opening =
    handedOver === undefined
      ? await session.firstRequestLoop.run(
          () => session.fromSources((context) => openFirstPart(context, firstPart, signal), signal),
          signal,
          session.onRetry({ part: 0 }),
        )
      : await openingOf(session.context, handedOver, firstPart);
  if (opening.kind !== 'parts') {
    logger.info('single-connection', `downloading on one connection: ${opening.reason}`, {
      reason: opening.reason,
    });
    const response = opening.kind === 'answered-whole' ? opening.response : undefined;
    return downloadWhole(session, temp, session.firstRequestLoop, signal, response);
  }
  session.context.onWholeObject(opening.response.headers);
  const connections = Math.min(config.connections, parts.length);
  logger.info('parts', `downloading in ${parts.length} parts on ${connections} connections`, {
    parts: parts.length,
    connections,
    partBytes: firstPart.lastByte + 1,
  });
  const outcome = await downloadParts(session, temp, parts, opening, connections, signal);
  if (outcome.kind === 'done') return outcome.resumedBytes;
  logger.warn(
    'restart',
    `discarding ${outcome.writtenBytes} bytes of parts, starting over on one connection: ${outcome.reason}`,
    { discardedBytes: outcome.writtenBytes, reason: outcome.reason, fallback: 'single-connection' },
  );
  await temp.reset();
  return downloadWhole(session, temp, session.newLoop(), signal);
}
