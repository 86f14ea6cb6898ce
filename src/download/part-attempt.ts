import { PartMismatchError } from '../errors.ts';
import { redactUrl } from '../log/redact.ts';
import type { TempArtifact } from '../publish/temp-file.ts';
import type { AttemptContext } from './attempt.ts';
import { type BodyTarget, streamBody } from './body.ts';
import { artifactHeaders, discardBody, getFollowingRedirects, type Response } from './request.ts';
import { checkRangeTotal, encodedBodyError, unexpectedAnswerError } from './response-checks.ts';
import { rangeProblem, resumeHeaders, type Validator } from './resume.ts';
import { type Part, partSizeBytes } from './segments.ts';

/** One part and how far it got: what survives between its attempts. */
export interface PartState {
  readonly part: Part;
  writtenBytes: number;
  /** Bytes of the part that earlier attempts fetched and its latest one did not fetch again. */
  resumedBytes: number;
}

/**
 * One attempt at one part: a GET for the part's bytes not yet written, with
 * If-Range on the version the download began with, written in place in the
 * file. Like attemptDownload it knows nothing of retries. An answer that is
 * not exactly those bytes of that version throws PartMismatchError. `opened`
 * is an answer already received for the whole part, taken as this attempt's.
 */
export async function attemptPart(
  context: AttemptContext,
  temp: TempArtifact,
  state: PartState,
  validator: Validator,
  signal: AbortSignal,
  opened?: Response,
): Promise<void> {
  const { part } = state;
  const fromByte = part.firstByte + state.writtenBytes;
  const response =
    opened ??
    (await getFollowingRedirects(
      context,
      context.url,
      {
        ...artifactHeaders(context.userAgent),
        ...resumeHeaders(fromByte, validator, part.lastByte),
      },
      signal,
    ));
  try {
    if (opened === undefined) await acceptPart(context, response, state, validator, fromByte);
    await streamBody(response, partOfFile(state, temp), context.onBytes, signal);
  } finally {
    discardBody(response.body);
  }
}

/** The part's bytes in the file as a body's target: written in place, hashed later. */
function partOfFile(state: PartState, temp: TempArtifact): BodyTarget {
  const { part } = state;
  return {
    firstByte: part.firstByte,
    sizeBytes: partSizeBytes(part),
    sizeLabel: `the ${partSizeBytes(part)} bytes of part ${part.index} (${part.firstByte}-${part.lastByte})`,
    writtenBytes: () => state.writtenBytes,
    write: async (chunks) => {
      state.writtenBytes += await temp.writeAt(chunks, part.firstByte + state.writtenBytes);
    },
  };
}

async function acceptPart(
  context: AttemptContext,
  response: Response,
  state: PartState,
  validator: Validator,
  fromByte: number,
): Promise<void> {
  const { part } = state;
  const where = redactUrl(response.url);
  const encoded = encodedBodyError(response);
  if (encoded !== undefined) throw encoded;
  const asked = `bytes ${fromByte}-${part.lastByte} (part ${part.index})`;
  if (response.status === 206) {
    checkRangeTotal(response, context.expectedSizeBytes);
    const problem = rangeProblem(response.headers, validator, fromByte, part.lastByte);
    if (problem !== undefined) {
      throw new PartMismatchError(`${where} answered ${asked} with ${problem}`);
    }
    if (state.writtenBytes > 0) {
      state.resumedBytes = state.writtenBytes;
      context.logger.info('resume', `resuming part ${part.index} at byte ${fromByte}`, {
        part: part.index,
        offsetBytes: fromByte,
        totalBytes: context.expectedSizeBytes,
      });
    }
    return;
  }
  if (response.status === 200) {
    throw new PartMismatchError(
      `${where} answered ${asked} with the whole object (200): it ignored the range, or the object changed`,
    );
  }
  if (response.status === 416) {
    throw new PartMismatchError(`${where} answered ${asked} with 416 Range Not Satisfiable`);
  }
  throw await unexpectedAnswerError(response, 206, context.redactor, context.urlValidity);
}
