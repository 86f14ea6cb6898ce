import type { OpenFile } from '../process/files.ts';

/** Read-back chunk: the write batch's size, so memory stays as flat. */
const readBackBytes = 1024 * 1024;

/**
 * The file's bytes from `fromByte` up to `endByte`, in order, in chunks of at
 * most 1 MiB: the next read is in flight while the caller takes in a chunk.
 * A chunk is valid only until the caller asks for the next one but one (two
 * buffers take turns). Ends early at the end of the file.
 */
export async function* readBack(
  handle: OpenFile,
  fromByte: number,
  endByte: number,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  const buffers = [Buffer.allocUnsafe(readBackBytes), Buffer.allocUnsafe(readBackBytes)];
  const readAt = (position: number, buffer: Buffer) =>
    handle.read(buffer, 0, Math.min(readBackBytes, endByte - position), position);
  let position = fromByte;
  let reading = position < endByte ? readAt(position, buffers[0] as Buffer) : undefined;
  for (let turn = 1; reading !== undefined; turn += 1) {
    const { buffer, bytesRead } = await reading;
    signal.throwIfAborted();
    if (bytesRead === 0) return; // shorter than it should be: verify reports the size
    position += bytesRead;
    reading = position < endByte ? readAt(position, buffers[turn % 2] as Buffer) : undefined;
    yield buffer.subarray(0, bytesRead);
  }
}
