import type { TempArtifact } from '../../artifact/temp-artifact.ts';
import { FetchError } from '../../errors.ts';
import { redactUrl } from '../../log/redact.ts';
import type { AttemptContext } from '../attempt-context.ts';
import { type BodyTarget, streamBody } from '../http/body.ts';
import {
  artifactHeaders,
  discardBody,
  getFollowingRedirects,
  type Response,
} from '../http/request.ts';
import { unexpectedAnswerError } from '../http/unexpected-answer.ts';
import { checkAnnouncedSize, checkRangeTotal } from '../range/announced-size.ts';
import { encodedBodyError } from '../range/encoded-body.ts';
import { rangeProblem, resumeHeaders } from '../range/resume.ts';
import { validatorOf } from '../range/validator.ts';
import type { ResumeState } from './resume-state.ts';

/**
 * One attempt: a single GET (resuming with Range + If-Range when bytes are
 * kept and provably from the same object), streamed into `temp`. It knows
 * nothing of retries: it throws a LoaderError whose `transient` flag lets the
 * retry policy decide. The file is always left holding a prefix of the
 * current object version (possibly empty), never bytes of two versions.
 * `opened` is an answer already received to a request made elsewhere, taken
 * as this attempt's (only with nothing kept yet).
 */
export async function attemptDownload(
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

  const response = opened ?? (await getFollowingRedirects(context, context.url, headers, signal));
  try {
    await acceptResponse(context, response, temp, state, headers.range !== undefined);
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
    sizeLabel: `the expected ${context.expectedSizeBytes} bytes (ARTIFACT_EXPECTED_SIZE)`,
    writtenBytes: () => temp.bytesWritten,
    write: (chunks) => temp.append(chunks),
  };
}

async function acceptResponse(
  context: AttemptContext,
  response: Response,
  temp: TempArtifact,
  state: ResumeState,
  askedForRange: boolean,
): Promise<void> {
  const where = redactUrl(response.url);
  const expected = context.expectedSizeBytes;
  const encoded = encodedBodyError(response);
  if (encoded !== undefined) {
    if (temp.bytesWritten > 0)
      await startOver(
        context,
        temp,
        state,
        `a ${response.status} with Content-Encoding ${String(encoded.details.contentEncoding)}`,
      );
    throw encoded;
  }
  if (response.status === 200) {
    checkAnnouncedSize(response.headers['content-length'], expected, where, 'Content-Length');
    if (temp.bytesWritten > 0) {
      await startOver(
        context,
        temp,
        state,
        'the server sent the whole object (200) instead of the rest',
      );
    }
    state.validator = validatorOf(response.headers);
    context.onWholeObject(response.headers);
    return;
  }
  if (response.status === 206 && askedForRange) {
    checkRangeTotal(response, expected);
    const kept = temp.bytesWritten;
    const problem = rangeProblem(response.headers, state.validator, kept, expected - 1);
    if (problem !== undefined) {
      await startOver(context, temp, state, problem);
      throw new FetchError(`resume refused: ${where} answered with ${problem}`, {
        transient: true,
      });
    }
    // Bytes of the final file that earlier attempts fetched: the offset of the latest resume.
    state.resumedBytes = kept;
    context.logger.info('resume', `resuming at byte ${kept}`, {
      offsetBytes: kept,
      totalBytes: expected,
    });
    return;
  }
  if (response.status === 416 && askedForRange) {
    await startOver(context, temp, state, 'the server answered 416 Range Not Satisfiable');
    throw new FetchError(`resume refused: ${where} answered 416`, { transient: true });
  }
  throw await unexpectedAnswerError(response, 200, context.redactor, context.urlValidity);
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
