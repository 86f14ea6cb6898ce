import type { ReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { ByteSpan } from './range.ts';
import type { AccessRecord } from './responses.ts';
import { endWhenNotDrained } from './send-timeout.ts';
import type { ConnectionThrottle } from './throttle.ts';

const streamChunkBytes = 1024 * 1024;
/** Paced reads of about 10 ms each: smooth enough, and few timers even at hundreds of MiB/s. */
const pacedChunkBytes = (bytesPerSecond: number) =>
  Math.min(streamChunkBytes, Math.max(16 * 1024, Math.round(bytesPerSecond / 100)));

/** A read stream of the span; it closes the handle itself when it ends or is destroyed. */
export function openBody(
  handle: FileHandle,
  span: ByteSpan,
  bytesPerSecond: number | undefined,
): ReadStream {
  return handle.createReadStream({
    start: span.firstByte,
    end: span.lastByte,
    highWaterMark:
      bytesPerSecond === undefined ? streamChunkBytes : pacedChunkBytes(bytesPerSecond),
  });
}

/** How a body is sent: the connection's throttle, if any, and the send timeout. */
export interface BodyPolicy {
  readonly throttle: ConnectionThrottle | undefined;
  /** A connection that holds unsent bytes this long without draining them is cut (send-timeout.ts). */
  readonly sendTimeoutMs: number;
}

/**
 * Sends the body after the headers, paced by the connection's throttle when
 * there is one, and counts the bytes into the record. The record is complete
 * only when every byte of the span went out; a file that shrank while it was
 * sent breaks the connection instead, and so does a client too slow to take it.
 */
export async function sendBody(
  body: ReadStream,
  lengthBytes: number,
  response: ServerResponse,
  record: AccessRecord,
  { throttle, sendTimeoutMs }: BodyPolicy,
): Promise<void> {
  const paced = throttle?.transform(record);
  const sending =
    paced === undefined
      ? pipeline(body, response, { end: false })
      : pipeline(body, paced, response, { end: false });
  endWhenNotDrained(paced ?? body, response, sendTimeoutMs, (waitingBytes) => {
    record.reason = `send timeout: the client did not take ${waitingBytes} bytes in ${sendTimeoutMs / 1000} s`;
  });
  if (paced === undefined) {
    body.on('data', (chunk: string | Buffer) => {
      // Always a Buffer: no encoding is set on the stream.
      record.bytes += chunk.length;
    });
  }
  try {
    await sending;
  } catch (error) {
    // A client that closes as soon as it has every byte can beat the pipeline's own end.
    if (record.bytes < lengthBytes) throw error;
  }
  if (record.bytes < lengthBytes) {
    // The file shrank while it was sent: break the connection, so the client sees a
    // truncated body instead of waiting on a kept-alive connection for bytes that never come.
    record.reason = `file shrank: ${record.bytes} of ${lengthBytes} bytes sent`;
    response.destroy();
    return;
  }
  record.complete = true;
  if (!response.destroyed) response.end();
}
