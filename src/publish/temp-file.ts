import { createHash, type Hash, randomBytes } from 'node:crypto';
import { type FileHandle, open, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { writeErrorFor } from './write-errors.ts';

/** Read-back chunk for hashThrough: the write batch's size, so memory stays as flat. */
const readBackBytes = 1024 * 1024;

/** Mode of the published file: readable by the main container's user, whatever its uid. */
export const artifactMode = 0o644;

/**
 * Every this many bytes written, the data is handed to the disk in the
 * background (fdatasync while the download goes on), so the fsync before
 * publishing finds little left to do. Otherwise the page cache holds the whole
 * artifact and that last fsync waits for all of it: 0.3 s per GiB here.
 */
const backgroundSyncBytes = 32 * 1024 * 1024;

/**
 * How often a live temp file's modification time is refreshed, even while no
 * byte arrives (a stall, a backoff, a slow server). Another run takes the file
 * as abandoned only once it is far older than this (see abandoned-temp-files.ts).
 */
export const heartbeatMs = 5_000;

/** `.app.jar.<16 hex>.partial`: hidden, tied to the target's name, recognisable after a crash. */
export function tempNameFor(targetPath: string): string {
  return `.${basename(targetPath)}.${randomBytes(8).toString('hex')}.partial`;
}

export function isTempNameFor(targetPath: string, name: string): boolean {
  const prefix = `.${basename(targetPath)}.`;
  return name.startsWith(prefix) && /^[0-9a-f]{16}\.partial$/.test(name.slice(prefix.length));
}

export interface TempArtifactOptions {
  /** Refresh the file's modification time this often while it is open (default heartbeatMs). */
  readonly heartbeatMs?: number;
}

/**
 * The file being downloaded: created exclusively next to the target, so the
 * final rename is atomic (same file system). Every byte appended is hashed in
 * the same step, so the digest always describes exactly what is on disk; bytes
 * written out of order (writeAt) count only once hashThrough() has read them back.
 */
export class TempArtifact {
  readonly path: string;
  readonly folder: string;
  readonly #handle: FileHandle;
  #hash: Hash = createHash('sha256');
  #bytesWritten = 0;
  #closed = false;
  #writtenSinceSync = 0;
  #syncing: Promise<void> | undefined;
  /** A failed background sync: Linux reports a writeback error once, so it is kept for the final sync. */
  #syncError: unknown;
  readonly #heartbeat: NodeJS.Timeout;
  #beating: Promise<void> | undefined;

  private constructor(path: string, handle: FileHandle, everyMs: number) {
    this.path = path;
    this.folder = dirname(path);
    this.#handle = handle;
    // Unref'd: the heartbeat never keeps a finished run alive.
    this.#heartbeat = setInterval(() => this.#beat(), everyMs).unref();
  }

  /**
   * Marks the file as in use: another loader on the same target (a second
   * replica on a shared volume, an overlapping restart) leaves a temp file
   * alone while its modification time is recent. Writes refresh it too; this
   * covers the silences. A failure only means one beat fewer.
   */
  #beat(): void {
    if (this.#beating !== undefined || this.#closed) return;
    const now = new Date();
    this.#beating = this.#handle
      .utimes(now, now)
      .catch(() => {})
      .finally(() => {
        this.#beating = undefined;
      });
  }

  static async create(
    targetPath: string,
    options: TempArtifactOptions = {},
  ): Promise<TempArtifact> {
    const folder = dirname(targetPath);
    const path = join(folder, tempNameFor(targetPath));
    let handle: FileHandle;
    try {
      // 'wx+' = O_RDWR|O_CREAT|O_EXCL: never follows or reuses an existing file or
      // symlink; readable so that hashThrough can read back parts written out of order.
      handle = await open(path, 'wx+', artifactMode);
    } catch (error) {
      throw writeErrorFor(error, 'creating a temporary file', folder);
    }
    const temp = new TempArtifact(path, handle, options.heartbeatMs ?? heartbeatMs);
    try {
      // The umask may have narrowed the mode; the main container may run as another user.
      await handle.chmod(artifactMode);
    } catch (error) {
      await temp.discard();
      throw writeErrorFor(error, 'setting the file mode', folder);
    }
    return temp;
  }

  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  /**
   * Appends the chunks in order with one writev(2). They are hashed while the
   * write runs in the thread pool (hashing after it would leave the disk idle
   * meanwhile), into a copy of the digest that replaces it only once the write
   * succeeded: disk and digest still move together.
   */
  async append(chunks: readonly Buffer[]): Promise<void> {
    const hash = this.#hash.copy();
    const writing = this.writeAt(chunks, this.#bytesWritten);
    for (const chunk of chunks) hash.update(chunk);
    const total = await writing;
    this.#hash = hash;
    this.#bytesWritten += total;
  }

  /**
   * Writes the chunks at `position` with one writev(2), neither hashed nor
   * counted: for parts written out of order. hashThrough() takes them in, in order.
   */
  async writeAt(chunks: readonly Buffer[], position: number): Promise<number> {
    const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    try {
      let done = (await this.#handle.writev(chunks as Buffer[], position)).bytesWritten;
      if (done < total) {
        // A short writev (rare: signals, quotas) is finished with plain writes.
        const rest = Buffer.concat(chunks as Buffer[]).subarray(done);
        for (let offset = 0; offset < rest.byteLength; ) {
          const { bytesWritten } = await this.#handle.write(
            rest,
            offset,
            rest.byteLength - offset,
            position + done,
          );
          offset += bytesWritten;
          done += bytesWritten;
        }
      }
    } catch (error) {
      throw writeErrorFor(error, 'writing', this.folder);
    }
    this.#writtenSinceSync += total;
    this.#syncInBackground();
    return total;
  }

  #syncInBackground(): void {
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

  /**
   * Extends the digest in order over the file's bytes from where it stands up to
   * `endByte`, reading them back: for parts written out of order (writeAt), so
   * the digest still describes exactly the bytes that will be published. They
   * were just written, so they come from the page cache; the next read is in
   * flight while one is hashed. Calls must not overlap.
   */
  async hashThrough(endByte: number, signal: AbortSignal): Promise<void> {
    const buffers = [Buffer.allocUnsafe(readBackBytes), Buffer.allocUnsafe(readBackBytes)];
    const readAt = (position: number, buffer: Buffer) =>
      this.#handle.read(buffer, 0, Math.min(readBackBytes, endByte - position), position);
    let position = this.#bytesWritten;
    try {
      let reading = position < endByte ? readAt(position, buffers[0] as Buffer) : undefined;
      for (let turn = 1; reading !== undefined; turn += 1) {
        const { buffer, bytesRead } = await reading;
        signal.throwIfAborted();
        if (bytesRead === 0) break; // shorter than it should be: verify reports the size
        position += bytesRead;
        reading = position < endByte ? readAt(position, buffers[turn % 2] as Buffer) : undefined;
        this.#hash.update(buffer.subarray(0, bytesRead));
        this.#bytesWritten = position;
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw writeErrorFor(error, 'reading back', this.folder);
    }
  }

  /** Throws away everything written: the next bytes start the file again. */
  async reset(): Promise<void> {
    try {
      await this.#handle.truncate(0);
    } catch (error) {
      throw writeErrorFor(error, 'truncating', this.folder);
    }
    this.#hash = createHash('sha256');
    this.#bytesWritten = 0;
    this.#writtenSinceSync = 0;
  }

  /** SHA-256 of the bytes written so far, in lower-case hex. */
  digestHex(): string {
    return this.#hash.copy().digest('hex');
  }

  /** Flushes the data to stable storage and closes the file. */
  async syncAndClose(): Promise<void> {
    try {
      await this.#syncing;
      if (this.#syncError !== undefined) throw this.#syncError;
      await this.#handle.sync();
      await this.close();
    } catch (error) {
      throw writeErrorFor(error, 'flushing to disk', this.folder);
    }
  }

  /** Closes and removes the file; safe to call more than once and after publishing. */
  async discard(): Promise<void> {
    await this.close().catch(() => {});
    await unlink(this.path).catch(() => {});
  }

  private async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    await this.#beating;
    await this.#handle.close();
  }
}
