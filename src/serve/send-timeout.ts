import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

/**
 * Ends a transfer whose client does not take its bytes. The clock runs only
 * while the response holds bytes the connection refused (a write returned
 * false): from then the connection must drain them within `sendTimeoutMs`,
 * or the response is destroyed and its slot freed. Time spent waiting on the
 * file or on the per-connection cap does not count, so a paced transfer is
 * never cut for being paced. The body goes out in chunks of at most 1 MiB, so
 * a client must take about a chunk per `sendTimeoutMs`: a reader that takes a
 * trickle to keep the connection from ever being idle loses the slot anyway.
 *
 * `source` is the stream piped into the response; each of its chunks is a write.
 */
export function endWhenNotDrained(
  source: Readable,
  response: ServerResponse,
  sendTimeoutMs: number,
  onTimeout: (waitingBytes: number) => void,
): void {
  let timer: NodeJS.Timeout | undefined;
  const disarm = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  source.on('data', () => {
    // After the pipe's own 'data' listener has written the chunk, whatever the listener order.
    queueMicrotask(() => {
      if (timer !== undefined || !response.writableNeedDrain) return;
      timer = setTimeout(() => {
        onTimeout(response.writableLength);
        response.destroy();
      }, sendTimeoutMs);
    });
  });
  response.on('drain', disarm);
  response.once('close', disarm);
}
