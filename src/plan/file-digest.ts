import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

/**
 * SHA-256 of the file at `path`, or undefined when it cannot be read: an
 * unreadable file only means downloading again. The deadline or a signal still
 * stops the read, with their reason.
 */
export async function sha256OfFile(path: string, signal: AbortSignal): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    // O_NOFOLLOW-like safety comes from the caller's lstat; a race would only cause a re-download.
    await pipeline(createReadStream(path), hash, { signal });
  } catch {
    if (signal.aborted) throw signal.reason;
    return undefined;
  }
  return hash.digest('hex');
}
