import type { ServerResponse } from 'node:http';

/**
 * Writes one chunk of a body and resolves once the connection has taken it
 * (it is in the kernel's socket buffer), so that the caller may reuse the
 * chunk's memory; rejects if the connection closes first.
 *
 * It also ends a transfer whose client does not take its bytes: if the
 * connection refused the chunk (write() returned false), it must take it
 * within `sendTimeoutMs`, or the response is destroyed and its slot freed.
 * Time spent waiting on the file or on the per-connection cap does not count,
 * so a paced transfer is never cut for being paced. The body goes out in
 * chunks of at most 256 KiB (file-body.ts), so a client must take about a
 * chunk per `sendTimeoutMs`: a reader that takes a trickle to keep the
 * connection from ever being idle loses the slot anyway.
 */
export function sendChunk(
  response: ServerResponse,
  chunk: Buffer,
  sendTimeoutMs: number,
  onTimeout: (waitingBytes: number) => void,
): Promise<void> {
  // The request's socket is the connection even while this response waits its turn behind
  // another one on it (pipelining), when the response has no socket of its own yet.
  const connection = response.req.socket;
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const settle = (error?: Error | null) => {
      clearTimeout(timer);
      response.off('close', closed);
      connection.off('close', closed);
      if (error) reject(error);
      else resolve();
    };
    // Once the connection is gone a write's callback may never come; a write in flight was
    // cancelled when it closed, so nothing refers to the chunk any more.
    const closed = () => settle(new Error('the connection closed before the body was sent'));
    if (connection.destroyed || response.destroyed) return closed();
    response.once('close', closed);
    connection.once('close', closed);
    if (response.write(chunk, settle)) return;
    timer = setTimeout(() => {
      onTimeout(response.writableLength);
      response.destroy();
    }, sendTimeoutMs);
  });
}
