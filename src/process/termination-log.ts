import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** Kubernetes reads at most 4096 bytes of the termination message. */
const maxBytes = 4096;

/**
 * Writes the one-line termination message when the file exists and is
 * writable (Kubernetes mounts /dev/termination-log); does nothing otherwise.
 * The file is never created: outside Kubernetes there is nothing to do.
 */
export async function writeTerminationMessage(path: string, message: string): Promise<boolean> {
  try {
    const handle = await open(path, constants.O_WRONLY | constants.O_TRUNC);
    try {
      await handle.writeFile(Buffer.from(message).subarray(0, maxBytes));
    } finally {
      await handle.close();
    }
    return true;
  } catch {
    return false;
  }
}
