import { finished } from 'node:stream';
import { FetchError, LoaderError, SizeMismatchError } from '../../errors.ts';
import { redactUrl } from '../../urls/shown.ts';
import { errorForNetworkFailure } from './classify.ts';
import { releaseChunks } from './release-chunks.ts';
import { discardBody, isTransportError, type Response } from './request.ts';

/** Where a body goes: the whole file, or one part of it. */
export interface BodyTarget {
  /** Offset in the file of the target's first byte: 0 for the whole file. */
  readonly firstByte: number;
  /** Bytes the target holds when complete: a body may not run past them. */
  readonly sizeBytes: number;
  /** The size in words, for messages: `the expected 1024 bytes (ARTIFACT_EXPECTED_SIZE)`. */
  readonly sizeLabel: string;
  /** Bytes of the target already written. */
  writtenBytes(): number;
  /** Writes the chunks right after the bytes already written. */
  write(chunks: Buffer[]): Promise<void>;
}

/** Chunks are gathered up to this size and written with one writev(2): fewer syscalls, same memory bound. */
const writeBatchBytes = 1024 * 1024;

/**
 * The body's chunks, gathered into batches and written in order, at most one
 * write in flight while the next batch arrives: the network and the disk
 * overlap, memory stays bounded by two batches, and what is counted as
 * written (and, for the whole file, hashed) is only ever what the disk took.
 */
class BatchWrites {
  readonly #target: BodyTarget;
  #batch: Buffer[] = [];
  #batchBytes = 0;
  #writing: Promise<void> | undefined;

  constructor(target: BodyTarget) {
    this.#target = target;
  }

  /**
   * Adds a chunk. Returns undefined, or, when its batch is full while the
   * write before it is still in flight, a promise of that batch's start: the
   * caller holds the body back until then (it rejects with a failed write).
   */
  add(chunk: Buffer): Promise<void> | undefined {
    this.#batch.push(chunk);
    this.#batchBytes += chunk.byteLength;
    if (this.#batchBytes < writeBatchBytes) return undefined;
    if (this.#writing === undefined) {
      this.#start();
      return undefined;
    }
    return this.#writing.then(() => this.#start());
  }

  /** Writes what is gathered, after the write in flight; rejects with the first failed write. */
  async flush(): Promise<void> {
    await this.#writing;
    if (this.#batchBytes > 0) this.#start();
    await this.#writing;
  }

  #start(): void {
    if (this.#batchBytes === 0) return;
    const chunks = this.#batch;
    this.#batch = [];
    this.#batchBytes = 0;
    // Written (and, on one connection, hashed): free the memory now, not at some later collection.
    const writing = this.#target.write(chunks).then(() => {
      releaseChunks(chunks);
      if (this.#writing === writing) this.#writing = undefined;
    });
    // Awaited later (flush, or the next full batch); until then a failure must not count as unhandled.
    writing.catch(() => {});
    this.#writing = writing;
  }
}

/**
 * Streams a response body into `target` after the bytes it already holds.
 * `onBytes` hears the target's bytes received so far. A body that would run
 * past the target is cut before the first byte too many is written; a body
 * that breaks off, stalls, or ends short where a connection without length
 * framing closes keeps what arrived and throws a transient error; one that
 * ends short as a complete message is a size mismatch (see endedShortError);
 * an abort of `signal` stops the body, whoever requested it.
 */
export async function streamBody(
  response: Response,
  target: BodyTarget,
  onBytes: (receivedBytes: number) => void,
  signal: AbortSignal,
): Promise<void> {
  const where = redactUrl(response.url);
  const limit = target.sizeBytes;
  const body = response.body;
  const writes = new BatchWrites(target);
  let receivedBytes = target.writtenBytes();
  // The first of: the body's end (undefined), its error, the abort, too many bytes, a failed write.
  const ended = await new Promise<unknown>((resolve) => {
    let settled = false;
    const settle = (outcome?: unknown) => {
      if (settled) return;
      settled = true;
      body.off('data', take);
      signal.removeEventListener('abort', stop);
      resolve(outcome);
    };
    // Chunks are taken as node:http hands them over ('data'), with no stream of promises
    // in between; the body is paused while a full batch waits for the write before it.
    const take = (chunk: Buffer) => {
      if (receivedBytes + chunk.byteLength > limit) {
        discardBody(body);
        settle(
          new SizeMismatchError(
            `size mismatch: ${where} sent more than ${target.sizeLabel}; stopped before writing byte ${target.firstByte + limit + 1}`,
            { details: { expectedBytes: limit } },
          ),
        );
        return;
      }
      receivedBytes += chunk.byteLength;
      onBytes(receivedBytes);
      const held = writes.add(chunk);
      if (held === undefined) return;
      body.pause();
      held.then(
        () => body.resume(),
        (failure: unknown) => {
          discardBody(body);
          settle(failure);
        },
      );
    };
    const stop = () => body.destroy(signal.reason);
    body.on('data', take);
    finished(body, (error) => settle(error));
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
  // A failed write is the error that matters; otherwise the bytes that arrived are good.
  await writes.flush();
  if (ended !== undefined) {
    if (ended instanceof LoaderError) throw ended;
    if (signal.aborted) throw signal.reason;
    if (!isTransportError(ended)) throw ended;
    // Every byte arrived before the answer broke off (a chunked body cut before its last
    // chunk, a reset right after the end): the body is whole. Retrying would ask for an
    // empty range, which servers answer with 200 or 416.
    if (target.writtenBytes() === limit) return;
    throw errorForNetworkFailure(ended, where);
  }
  if (target.writtenBytes() < limit) throw endedShortError(response, target, where);
}

/**
 * The body ended cleanly, short of the target. A body framed by its length
 * (a chunked body ended by its last, empty chunk, or a Content-Length
 * reached) is a complete message (RFC 9112 §6.3), so the server has another
 * size for the object than expected: the same answer again would not change
 * that, as a differing Content-Length would not. Not retried. A body without
 * a length ends where the connection closes (RFC 9112 §6.3, §8): that close
 * is also what a proxy or load balancer dying mid-body sends, so a short one
 * may be a break-off and is retried like one (resuming when that is safe).
 */
function endedShortError(response: Response, target: BodyTarget, where: string): LoaderError {
  const received = target.writtenBytes();
  const encoding = response.headers['transfer-encoding'];
  const chunked = /chunked/i.test(String(encoding ?? ''));
  if (!chunked && response.headers['content-length'] === undefined) {
    return new FetchError(
      `request to ${where} failed: the connection closed after ${received} of ${target.sizeLabel} with no length framing (no Content-Length, not chunked), so the end cannot be told from a break-off`,
      {
        transient: true,
        details: {
          errorCode: 'CLOSED_WITHOUT_LENGTH',
          expectedBytes: target.sizeBytes,
          receivedBytes: received,
        },
      },
    );
  }
  const framing = chunked
    ? 'its chunked body ended with the last chunk'
    : 'its Content-Length was reached';
  return new SizeMismatchError(
    `size mismatch: ${where} sent a complete answer that ends after ${received} of ${target.sizeLabel} (${framing}); the object there has another size, so it is not asked for again`,
    { details: { expectedBytes: target.sizeBytes, receivedBytes: received } },
  );
}
