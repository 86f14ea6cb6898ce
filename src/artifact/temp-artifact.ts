import { createHash, type Hash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { type OpenFile, open, unlink } from '../process/files.ts';
import { BackgroundSync } from './background-sync.ts';
import { Heartbeat, heartbeatMs } from './heartbeat.ts';
import { readBack } from './read-back.ts';
import { artifactMode, tempNameFor } from './temp-name.ts';
import { writeErrorFor } from './write-errors.ts';

/**
 * Something else that must see the file's bytes exactly once, in order, as
 * they become part of the file: a publisher's signature check, the extraction
 * of a JAR from an image layer. It sees a byte after it is on disk, and when
 * the file starts over it is told to forget what it saw.
 */
export interface InOrderReader {
  /** The next bytes of the file; a promise holds the download back until it is taken. */
  update(chunk: Buffer): void | Promise<void>;
  /** The file starts again from byte 0 (a download starting over). */
  restart(): void | Promise<void>;
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
  readonly #handle: OpenFile;
  #hash: Hash = createHash('sha256');
  readonly #readers: InOrderReader[] = [];
  #bytesWritten = 0;
  #closed = false;
  readonly #sync: BackgroundSync;
  readonly #heartbeat: Heartbeat;

  private constructor(path: string, handle: OpenFile, everyMs: number) {
    this.path = path;
    this.folder = dirname(path);
    this.#handle = handle;
    this.#sync = new BackgroundSync(handle);
    this.#heartbeat = new Heartbeat(handle, everyMs);
  }

  static async create(
    targetPath: string,
    options: TempArtifactOptions = {},
  ): Promise<TempArtifact> {
    const folder = dirname(targetPath);
    const path = join(folder, tempNameFor(targetPath));
    let handle: OpenFile;
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

  /** Adds a reader of the file's bytes in order (see InOrderReader); before the first byte. */
  follow(reader: InOrderReader): void {
    if (this.#bytesWritten > 0)
      throw new Error('a reader must follow the file from its first byte');
    this.#readers.push(reader);
  }

  /**
   * Appends the chunks in order with one writev(2). They are hashed while the
   * write runs in the thread pool (hashing after it would leave the disk idle
   * meanwhile), into a copy of the digest that replaces it only once the write
   * succeeded: disk and digest still move together. The readers see them then.
   */
  async append(chunks: readonly Buffer[]): Promise<void> {
    const hash = this.#hash.copy();
    const writing = this.writeAt(chunks, this.#bytesWritten);
    for (const chunk of chunks) hash.update(chunk);
    const total = await writing;
    this.#hash = hash;
    this.#bytesWritten += total;
    // Most runs have no reader: no await per chunk then, on the download's hot path.
    if (this.#readers.length > 0) for (const chunk of chunks) await this.#feed(chunk);
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
    this.#sync.written(total);
    return total;
  }

  /**
   * Extends the digest in order over the file's bytes from where it stands up to
   * `endByte`, reading them back: for parts written out of order (writeAt), so
   * the digest still describes exactly the bytes that will be published. They
   * were just written, so they come from the page cache; the next read is in
   * flight while one is hashed. Calls must not overlap.
   */
  async hashThrough(endByte: number, signal: AbortSignal): Promise<void> {
    try {
      for await (const chunk of readBack(this.#handle, this.#bytesWritten, endByte, signal)) {
        this.#hash.update(chunk);
        this.#bytesWritten += chunk.byteLength;
        await this.#feed(chunk);
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
    this.#sync.reset();
    for (const reader of this.#readers) await reader.restart();
  }

  async #feed(chunk: Buffer): Promise<void> {
    for (const reader of this.#readers) await reader.update(chunk);
  }

  /** SHA-256 of the bytes written so far, in lower-case hex. */
  digestHex(): string {
    return this.#hash.copy().digest('hex');
  }

  /** Flushes the data to stable storage and closes the file. */
  async syncAndClose(): Promise<void> {
    try {
      await this.#sync.settle();
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
    await this.#heartbeat.stop();
    await this.#handle.close();
  }
}
