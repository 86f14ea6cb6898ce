import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  openSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { fileKind } from './file-kind.ts';

/** Kubernetes reads at most 4096 bytes of the termination message. */
const maxBytes = 4096;

/** What became of the termination message. */
export interface TerminationWrite {
  readonly written: boolean;
  /** Why a file that is there was left alone (not a regular file); undefined when there is none. */
  readonly skipped: string | undefined;
}

/**
 * Writes the one-line termination message when the path is an existing,
 * writable regular file (Kubernetes bind-mounts one at /dev/termination-log);
 * nothing is written anywhere else, and the file is never created: outside
 * Kubernetes there is nothing to do. Synchronous and never waits, so it is
 * safe on the path that exits at once: a FIFO would block an open until a
 * reader came, so the open is non-blocking (a FIFO without a reader fails at
 * once), and the opened file itself is checked, not the path.
 */
export function writeTerminationMessage(path: string, message: string): TerminationWrite {
  let fd: number;
  try {
    // O_NOCTTY: a terminal given as the path must not become the process's controlling one.
    fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    return { written: false, skipped: whyNotOpened(path, error) };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      return { written: false, skipped: `${path} is ${fileKind(stats)}; expected a regular file` };
    }
    ftruncateSync(fd);
    writeFileSync(fd, Buffer.from(message).subarray(0, maxBytes));
    return { written: true, skipped: undefined };
  } catch {
    return { written: false, skipped: undefined };
  } finally {
    closeSync(fd);
  }
}

/** A file that is there but no regular file is named; a missing or unwritable one is not. */
function whyNotOpened(path: string, error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  if (code === 'EISDIR') return `${path} is a folder; expected a regular file`;
  if (code !== 'ENXIO') return undefined;
  // ENXIO: a FIFO with no reader, or a socket. The path is looked at only to name it.
  let kind = 'a FIFO with no reader, or a socket';
  try {
    const stats = statSync(path);
    kind = stats.isFIFO() ? 'a FIFO with no reader' : fileKind(stats);
  } catch {
    // Gone meanwhile: the generic name stays.
  }
  return `${path} is ${kind}; expected a regular file`;
}
