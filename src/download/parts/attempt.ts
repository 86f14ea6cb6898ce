import type { TempArtifact } from '../../artifact/temp-artifact.ts';
import { redactUrl } from '../../urls/shown.ts';
import { type BodyTarget, streamBody } from '../http/body.ts';
import { artifactHeaders, discardBody, type Response } from '../http/request.ts';
import { acceptAnswer } from '../range/accept.ts';
import { resumeHeaders } from '../range/resume.ts';
import type { Validator } from '../range/validator.ts';
import type { AttemptContext } from '../session.ts';
import { type PartMismatch, type PartState, partSizeBytes } from './part.ts';

/**
 * One attempt at one part: a GET for the part's bytes not yet written, with
 * If-Range on the version the download began with, written in place in the
 * file. Like attemptWhole it knows nothing of retries. An answer that is
 * not exactly those bytes of that version is returned as a PartMismatch.
 * `opened` is an answer already received for the whole part, taken as this
 * attempt's. Resolves undefined once the part is written whole.
 */
export async function attemptPart(
  context: AttemptContext,
  temp: TempArtifact,
  state: PartState,
  validator: Validator,
  signal: AbortSignal,
  opened?: Response,
): Promise<PartMismatch | undefined> {
  const { part } = state;
  const fromByte = part.firstByte + state.writtenBytes;
  const response =
    opened ??
    (await context.source.get(
      context,
      {
        ...artifactHeaders(context.userAgent),
        ...resumeHeaders(fromByte, validator, part.lastByte),
      },
      signal,
    ));
  try {
    if (opened === undefined) {
      const mismatch = await takePart(context, response, state, validator, fromByte);
      if (mismatch !== undefined) return mismatch;
    }
    await streamBody(response, partOfFile(state, temp), context.onBytes, signal);
    return undefined;
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

/** Acts on what the answer is (see acceptAnswer): only exactly the bytes asked will do. */
async function takePart(
  context: AttemptContext,
  response: Response,
  state: PartState,
  validator: Validator,
  fromByte: number,
): Promise<PartMismatch | undefined> {
  const { part } = state;
  const range = { firstByte: fromByte, lastByte: part.lastByte };
  const asked = { range, validator, wholeWelcome: false } as const;
  const decision = await acceptAnswer(response, asked, context);
  if (decision.kind === 'encoded') throw decision.error;
  if (decision.kind !== 'range') {
    const asked = `bytes ${fromByte}-${part.lastByte} (part ${part.index})`;
    const reason = `${redactUrl(response.url)} answered ${asked} with ${decision.what}`;
    return { kind: 'mismatch', reason };
  }
  if (state.writtenBytes > 0) {
    state.resumedBytes = state.writtenBytes;
    context.logger.info('resume', `resuming part ${part.index} at byte ${fromByte}`, {
      part: part.index,
      offsetBytes: fromByte,
      totalBytes: context.expectedSizeBytes,
    });
  }
  return undefined;
}
