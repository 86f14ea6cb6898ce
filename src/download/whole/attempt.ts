import type { TempArtifact } from '../../artifact/temp-artifact.ts';
import { FetchError } from '../../errors.ts';
import { redactUrl } from '../../urls/shown.ts';
import { type BodyTarget, streamBody } from '../http/body.ts';
import { artifactHeaders, discardBody, type Response } from '../http/request.ts';
import { acceptAnswer, notTheRangeReason } from '../range/accept.ts';
import { resumeHeaders } from '../range/resume.ts';
import type { Validator } from '../range/validator.ts';
import type { AttemptContext } from '../session.ts';

/** What survives between attempts: the version of the object the kept bytes belong to. */
export interface ResumeState {
  validator: Validator | undefined;
  resumedBytes: number;
}

/**
 * One attempt: a single GET (resuming with Range + If-Range when bytes are
 * kept and provably from the same object), streamed into `temp`. It knows
 * nothing of retries: it throws a LoaderError whose `transient` flag lets the
 * retry policy decide. The file is always left holding a prefix of the
 * current object version (possibly empty), never bytes of two versions.
 * `opened` is an answer already received to a request made elsewhere, taken
 * as this attempt's (only with nothing kept yet).
 */
export async function attemptWhole(
  context: AttemptContext,
  temp: TempArtifact,
  state: ResumeState,
  signal: AbortSignal,
  opened?: Response,
): Promise<void> {
  const headers = artifactHeaders(context.userAgent);
  const keptBytes = temp.bytesWritten;
  if (keptBytes > 0 && state.validator === undefined) {
    // Nothing proves the server still has the same object: do not trust the kept bytes.
    await startOver(
      context,
      temp,
      state,
      'the first response carried no strong validator (ETag or Last-Modified) to resume against',
    );
  } else if (keptBytes > 0 && state.validator !== undefined) {
    Object.assign(headers, resumeHeaders(keptBytes, state.validator));
  }

  const response = opened ?? (await context.source.get(context, headers, signal));
  try {
    await takeAnswer(context, response, temp, state, headers.range !== undefined);
    await streamBody(response, wholeFile(context, temp), context.onBytes, signal);
  } finally {
    discardBody(response.body);
  }
}

/** The whole file as a body's target: appended, and hashed as it is written. */
function wholeFile(context: AttemptContext, temp: TempArtifact): BodyTarget {
  return {
    firstByte: 0,
    sizeBytes: context.expectedSizeBytes,
    sizeLabel: `the expected ${context.expectedSizeBytes} bytes (${context.sizeName})`,
    writtenBytes: () => temp.bytesWritten,
    write: (chunks) => temp.append(chunks),
  };
}

/** Acts on what the answer is (see acceptAnswer): go on, start over, or refuse it. */
async function takeAnswer(
  context: AttemptContext,
  response: Response,
  temp: TempArtifact,
  state: ResumeState,
  askedForRange: boolean,
): Promise<void> {
  const kept = temp.bytesWritten;
  const expected = context.expectedSizeBytes;
  const range = askedForRange ? { firstByte: kept, lastByte: expected - 1 } : undefined;
  const asked = { range, validator: state.validator, wholeWelcome: true };
  const decision = await acceptAnswer(response, asked, context);
  if (decision.kind === 'encoded') {
    const encoding = String(decision.error.details.contentEncoding);
    if (kept > 0)
      await startOver(
        context,
        temp,
        state,
        `a ${response.status} with Content-Encoding ${encoding}`,
      );
    throw decision.error;
  }
  if (decision.kind === 'whole') {
    if (kept > 0) {
      await startOver(
        context,
        temp,
        state,
        'the server sent the whole object (200) instead of the rest',
      );
    }
    state.validator = decision.validator;
    context.onWholeObject(response.headers);
    return;
  }
  if (decision.kind === 'not-the-range') {
    await startOver(context, temp, state, notTheRangeReason(decision));
    const answered = decision.status === 416 ? '416' : `with ${decision.what}`;
    throw new FetchError(`resume refused: ${redactUrl(response.url)} answered ${answered}`, {
      transient: true,
    });
  }
  // Bytes of the final file that earlier attempts fetched: the offset of the latest resume.
  state.resumedBytes = kept;
  context.logger.info('resume', `resuming at byte ${kept}`, {
    offsetBytes: kept,
    totalBytes: expected,
  });
}

async function startOver(
  context: AttemptContext,
  temp: TempArtifact,
  state: ResumeState,
  reason: string,
): Promise<void> {
  context.logger.warn('restart', `discarding ${temp.bytesWritten} kept bytes: ${reason}`, {
    discardedBytes: temp.bytesWritten,
    reason,
  });
  await temp.reset();
  state.validator = undefined;
  // Bytes resumed earlier were just thrown away: none of them is in the final file.
  state.resumedBytes = 0;
}
