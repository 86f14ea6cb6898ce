import type { OpenFile } from '../process/files.ts';

/**
 * How often a live temp file's modification time is refreshed, even while no
 * byte arrives (a stall, a backoff, a slow server). Another run takes the file
 * as abandoned only once it is far older than this (see abandoned-temp-files.ts).
 */
export const heartbeatMs = 5_000;

/**
 * Marks a file as in use: another loader on the same target (a second replica
 * on a shared volume, an overlapping restart) leaves a temp file alone while
 * its modification time is recent. Writes refresh it too; this covers the
 * silences. A failure only means one beat fewer.
 */
export class Heartbeat {
  readonly #handle: OpenFile;
  readonly #timer: NodeJS.Timeout;
  #beating: Promise<void> | undefined;
  #stopped = false;

  constructor(handle: OpenFile, everyMs: number) {
    this.#handle = handle;
    // Unref'd: the heartbeat never keeps a finished run alive.
    this.#timer = setInterval(() => this.#beat(), everyMs).unref();
  }

  #beat(): void {
    if (this.#beating !== undefined || this.#stopped) return;
    const now = new Date();
    this.#beating = this.#handle
      .utimes(now, now)
      .catch(() => {})
      .finally(() => {
        this.#beating = undefined;
      });
  }

  /** No beat after this; resolves once a beat under way has ended, so the file can be closed. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#beating;
  }
}
