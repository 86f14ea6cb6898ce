import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { BufferPool } from './buffer-pool.ts';
import type { ByteSpan } from './range.ts';
import type { AccessRecord } from './responses.ts';
import { sendChunk } from './send-timeout.ts';
import type { ConnectionThrottle } from './throttle.ts';

/**
 * The most a transfer reads ahead of what its connection has taken: one read
 * buffer, written, then read into again once the connection took it. Smaller
 * reads cost more CPU per byte (128 KiB: about a fifth more), larger ones
 * memory per transfer in flight.
 */
export const readAheadBytes = 256 * 1024;
const readBuffers = new BufferPool(readAheadBytes);

/** The pool's counts: one buffer made per transfer in flight at the busiest, all free when none is. */
export function readBufferStats(): { made: number; free: number } {
  return readBuffers.stats;
}

/** Paced reads of about 10 ms each: smooth enough, and few timers even at hundreds of MiB/s. */
const pacedChunkBytes = (bytesPerSecond: number) =>
  Math.min(readAheadBytes, Math.max(16 * 1024, Math.round(bytesPerSecond / 100)));

/** How a body is sent: the connection's throttle, if any, and the send timeout. */
export interface BodyPolicy {
  readonly throttle: ConnectionThrottle | undefined;
  /** A connection that holds unsent bytes this long without draining them is cut (send-timeout.ts). */
  readonly sendTimeoutMs: number;
}

/**
 * Sends the span of the file after the headers, paced by the connection's
 * throttle when there is one, and counts the bytes the connection took into
 * the record. Each chunk is read into a buffer of the pool only once the
 * connection took the one before, so a slow client holds one buffer, not the
 * file read ahead. The record is complete only when every byte of the span
 * went out; a file that shrank while it was sent breaks the connection
 * instead, and so does a client too slow to take it. The caller closes the handle.
 *
 * The reads are synchronous. A file being served is in the page cache, where
 * 256 KiB take tens of microseconds; through libuv's thread pool each read
 * would cost two wake-ups, and with many transfers at once on busy cores the
 * reads queue behind each other and the transfers stretch (measured in
 * docs/performance.md: a herd of 200 got 200-260 answers of 503 that way, 0-11
 * with synchronous reads). A read from a cold disk holds the other transfers
 * for its duration, as a worker of a server using sendfile is held.
 */
export async function sendBody(
  handle: FileHandle,
  span: ByteSpan,
  response: ServerResponse,
  record: AccessRecord,
  { throttle, sendTimeoutMs }: BodyPolicy,
): Promise<void> {
  const buffer = readBuffers.take();
  const stopped = new AbortController();
  const stop = () => stopped.abort();
  response.once('close', stop);
  const readBytes =
    throttle === undefined ? buffer.length : pacedChunkBytes(throttle.bytesPerSecond);
  const onTimeout = (waitingBytes: number) => {
    record.reason = `send timeout: the client did not take ${waitingBytes} bytes in ${sendTimeoutMs / 1000} s`;
  };
  try {
    for (let position = span.firstByte; position <= span.lastByte; ) {
      const wanted = Math.min(readBytes, span.lastByte + 1 - position);
      const bytesRead = readSync(handle.fd, buffer, 0, wanted, position);
      if (bytesRead === 0) break;
      await throttle?.take(bytesRead, stopped.signal);
      await sendChunk(response, buffer.subarray(0, bytesRead), sendTimeoutMs, onTimeout);
      record.bytes += bytesRead;
      position += bytesRead;
    }
  } finally {
    response.off('close', stop);
    // Every write has settled: the connection took the bytes, or it is closed.
    readBuffers.give(buffer);
  }
  if (record.bytes < span.lengthBytes) {
    // The file shrank while it was sent: break the connection, so the client sees a
    // truncated body instead of waiting on a kept-alive connection for bytes that never come.
    record.reason = `file shrank: ${record.bytes} of ${span.lengthBytes} bytes sent`;
    response.destroy();
    return;
  }
  record.complete = true;
  if (!response.destroyed) response.end();
}
