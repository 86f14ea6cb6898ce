import { type OpenFile, open } from '../process/files.ts';
import { zipFailure } from './zip-errors.ts';

/** Random access to an archive's bytes; the verifier asks only for small windows of it. */
export interface ByteSource {
  readonly sizeBytes: number;
  /** Exactly `length` bytes starting at `position`, or a throw. */
  read(position: number, length: number): Promise<Buffer>;
}

/** Opens `path` read-only, runs `use` with a source over it, and always closes the file. */
export async function withFileSource<T>(
  path: string,
  use: (source: ByteSource) => Promise<T>,
): Promise<T> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    return await use({
      sizeBytes: size,
      read: (position, length) => readExact(handle, position, length),
    });
  } finally {
    await handle.close();
  }
}

async function readExact(handle: OpenFile, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) {
      throw zipFailure(
        'corrupt zip archive',
        'short-read',
        `the file ended at offset ${position + filled} while reading ${length} bytes at offset ${position}; was it changed during verification?`,
        { position, length },
      );
    }
    filled += bytesRead;
  }
  return buffer;
}
