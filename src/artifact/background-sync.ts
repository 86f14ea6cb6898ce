import type { OpenFile } from '../process/files.ts';

/**
 * Every this many bytes written, the data is handed to the disk in the
 * background (fdatasync while the download goes on), so the fsync before
 * publishing finds little left to do. Otherwise the page cache holds the whole
 * artifact and that last fsync waits for all of it: 0.3 s per GiB here.
 */
const backgroundSyncBytes = 32 * 1024 * 1024;

/** Hands written data to the disk in the background, one fdatasync at a time. */
export class BackgroundSync {
  readonly #handle: OpenFile;
  #writtenSinceSync = 0;
  #syncing: Promise<void> | undefined;
  /** A failed background sync: Linux reports a writeback error once, so it is kept for the final sync. */
  #syncError: unknown;

  constructor(handle: OpenFile) {
    this.#handle = handle;
  }

  /** Counts bytes just written; starts a sync when enough have gathered and none is under way. */
  written(bytes: number): void {
    this.#writtenSinceSync += bytes;
    if (this.#syncing !== undefined || this.#writtenSinceSync < backgroundSyncBytes) return;
    this.#writtenSinceSync = 0;
    this.#syncing = this.#handle.datasync().then(
      () => {
        this.#syncing = undefined;
      },
      (error: unknown) => {
        this.#syncError ??= error;
        this.#syncing = undefined;
      },
    );
  }

  /** The file was emptied: nothing written is waiting for a sync. */
  reset(): void {
    this.#writtenSinceSync = 0;
  }

  /** Waits for a sync under way; throws the error of any background sync that failed. */
  async settle(): Promise<void> {
    await this.#syncing;
    if (this.#syncError !== undefined) throw this.#syncError;
  }
}
