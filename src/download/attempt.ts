import { FetchError, LoaderError, SizeMismatchError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { redactUrl } from '../log/redact.ts';
import type { TempArtifact } from '../publish/temp-file.ts';
import { errorForNetworkFailure, errorForStatus } from './classify.ts';
import { releaseChunks } from './release-chunks.ts';
import {
  discardBody,
  getFollowingRedirects,
  isTransportError,
  type RequestContext,
  type Response,
} from './request.ts';
import {
  parseContentRange,
  resumeHeaders,
  sameVersion,
  type Validator,
  validatorOf,
} from './resume.ts';

export interface AttemptContext extends RequestContext {
  readonly url: URL;
  readonly expectedSizeBytes: number;
  readonly userAgent: string;
  readonly logger: Logger;
  readonly onBytes: (bytes: number) => void;
}

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
 */
export async function attemptDownload(
  context: AttemptContext,
  temp: TempArtifact,
  state: ResumeState,
  signal: AbortSignal,
): Promise<void> {
  const headers: Record<string, string> = {
    'accept-encoding': 'identity',
    'user-agent': context.userAgent,
  };
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

  const response = await getFollowingRedirects(context, context.url, headers, signal);
  try {
    await acceptResponse(context, response, temp, state, headers.range !== undefined);
    await streamBody(context, response, temp, signal);
  } finally {
    discardBody(response.body);
  }
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
  const encoding = response.headers['content-encoding'];
  if (
    (response.status === 200 || response.status === 206) &&
    typeof encoding === 'string' &&
    encoding.trim().toLowerCase() !== 'identity'
  ) {
    // undici does not decode, and encoded bytes are not the artifact: offsets, size and digest
    // would all describe something else. A resume could even splice two encodings together.
    if (temp.bytesWritten > 0)
      await startOver(
        context,
        temp,
        state,
        `a ${response.status} with Content-Encoding ${encoding}`,
      );
    throw new FetchError(
      `server at ${where} sent the artifact with Content-Encoding "${encoding.slice(0, 40)}" although identity was asked for; store the object without a Content-Encoding (S3: remove that metadata)`,
      { details: { contentEncoding: encoding.slice(0, 40) } },
    );
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
    return;
  }
  if (response.status === 206 && askedForRange) {
    const range = parseContentRange(response.headers['content-range']);
    if (range?.totalBytes !== undefined) {
      checkAnnouncedSize(String(range.totalBytes), expected, where, 'Content-Range total');
    }
    const kept = temp.bytesWritten;
    let problem: string | undefined;
    if (range === undefined) problem = 'a 206 without a valid Content-Range';
    else if (range.totalBytes === undefined)
      problem = 'a 206 whose Content-Range gives no total size';
    else if (state.validator === undefined || !sameVersion(state.validator, response.headers)) {
      problem = 'a 206 from a changed object (validator differs)';
    } else if (range.firstByte !== kept || range.lastByte !== expected - 1) {
      problem = `a 206 for bytes ${range.firstByte}-${range.lastByte} when ${kept}-${expected - 1} were asked for`;
    }
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
  if (response.status >= 200 && response.status < 300) {
    throw new FetchError(`server answered ${response.status} for ${where}, expected 200`);
  }
  throw errorForStatus(
    response.status,
    response.statusText,
    where,
    response.headers['retry-after'],
  );
}

/** Chunks are gathered up to this size and written with one writev(2): fewer syscalls, same memory bound. */
const writeBatchBytes = 1024 * 1024;

async function streamBody(
  context: AttemptContext,
  response: Response,
  temp: TempArtifact,
  signal: AbortSignal,
): Promise<void> {
  const expected = context.expectedSizeBytes;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  // At most one write in flight while the next batch arrives: the network and the disk
  // overlap, memory stays bounded by two batches, and the file and its digest never
  // disagree, since a batch counts in the digest only once it is written.
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    await writing;
    if (batchBytes === 0) return;
    const chunks = batch;
    batch = [];
    batchBytes = 0;
    // Written and hashed: free the memory now, not at some later collection.
    writing = temp.append(chunks).then(() => releaseChunks(chunks));
    // Awaited at the next flush; until then a failure must not count as unhandled.
    writing.catch(() => {});
  };
  let receivedBytes = temp.bytesWritten;
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      if (receivedBytes + chunk.byteLength > expected) {
        discardBody(response.body);
        throw new SizeMismatchError(
          `size mismatch: ${redactUrl(response.url)} sent more than the expected ${expected} bytes (ARTIFACT_EXPECTED_SIZE); stopped before writing byte ${expected + 1}`,
          { details: { expectedBytes: expected } },
        );
      }
      batch.push(chunk);
      batchBytes += chunk.byteLength;
      receivedBytes += chunk.byteLength;
      context.onBytes(receivedBytes);
      if (batchBytes >= writeBatchBytes) await flush();
    }
    await flush();
    await writing;
  } catch (error) {
    // A failed write is the error that matters; otherwise the bytes that arrived are good.
    await writing;
    if (error instanceof LoaderError) throw error;
    if (signal.aborted) throw signal.reason;
    if (!isTransportError(error)) throw error;
    await flush();
    await writing;
    throw errorForNetworkFailure(error, redactUrl(response.url));
  }
  if (temp.bytesWritten < expected) {
    throw new FetchError(
      `body ended early: ${temp.bytesWritten} of ${expected} bytes from ${redactUrl(response.url)}`,
      {
        transient: true,
        details: { errorCode: 'TRUNCATED' },
      },
    );
  }
}

function checkAnnouncedSize(
  announced: string | string[] | undefined,
  expected: number,
  where: string,
  header: string,
): void {
  if (typeof announced !== 'string' || !/^[0-9]+$/.test(announced)) return;
  if (Number(announced) !== expected) {
    throw new SizeMismatchError(
      `size mismatch: ${where} announces ${announced} bytes (${header}) but ARTIFACT_EXPECTED_SIZE is ${expected}; nothing was written`,
      { details: { expectedBytes: expected, announcedBytes: Number(announced) } },
    );
  }
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
