import type { Writable } from 'node:stream';

/**
 * Writes `data` to `sink`, and when the sink's buffer is full waits for it to
 * drain: the caller reads no further meanwhile, so a slow disk slows the
 * download instead of filling memory. Rejects with the sink's error, when it
 * is destroyed, or with the signal's reason.
 */
export async function writeToSink(
  sink: Writable,
  data: Uint8Array,
  signal?: AbortSignal,
): Promise<void> {
  if (sink.destroyed) throw sinkGone(sink);
  if (sink.write(data)) return;
  await new Promise<void>((resolve, reject) => {
    const settle = (error?: unknown) => {
      sink.off('drain', onDrain).off('error', settle).off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onDrain = () => settle();
    const onClose = () => settle(sinkGone(sink));
    const onAbort = () => settle(signal?.reason);
    sink.on('drain', onDrain).on('error', settle).on('close', onClose);
    signal?.addEventListener('abort', onAbort);
    if (signal?.aborted) onAbort();
  });
}

function sinkGone(sink: Writable): Error {
  return sink.errored ?? new Error('the file being extracted was closed before it was written');
}
