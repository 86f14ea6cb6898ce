/**
 * Extracts the JAR from an image layer while the layer downloads: a reader
 * that follows the layer's temp file (TempArtifact.follow), so it sees every
 * byte of the blob once and in order, as it is written, appended or read
 * back after parts, and writes the file it finds into the JAR's own temp
 * file (`jar`). When the layer starts over, so does the extraction, and the
 * JAR's file is emptied.
 *
 * The blob's digest is the authority, not its shape: a mirror may send
 * bytes that are no gzip at all. So a failure of the extraction is held, not
 * thrown into the download, which goes on to the end; `finish` reports it
 * only after the caller has found the digest right. Memory stays bounded:
 * the download waits while the extraction's buffer (1 MiB) is full, and the
 * extraction waits while the JAR's file takes its bytes.
 */
import { Readable, Writable } from 'node:stream';
import type { InOrderReader, TempArtifact } from '../artifact/temp-artifact.ts';
import { type Compression, findFileInLayer } from './layer-stream.ts';
import type { TarSearchResult } from './tar-file.ts';

export interface LayerSearch {
  readonly compression: Compression;
  /** The file in the image, relative and cleaned: `app.jar`. */
  readonly path: string;
  /** ARTIFACT_EXPECTED_SIZE, when set: the entry's size must be it before a byte is written. */
  readonly expectedSizeBytes: number | undefined;
}

const bufferBytes = 1024 * 1024;

/** One pass over the layer from its first byte: its input, the JAR's bytes written, its outcome. */
interface Pass {
  readonly input: Readable;
  readonly aborted: AbortController;
  /** Settles when the pass has read its input to the end, or failed. */
  done: Promise<TarSearchResult>;
  /** A push that waits for the buffer to drain. */
  waiting: (() => void) | undefined;
  /** The append to the JAR's file in flight, if any. */
  writing: Promise<void>;
  failure: unknown;
}

export class LayerExtractor implements InOrderReader {
  readonly #jar: TempArtifact;
  readonly #search: LayerSearch;
  #pass: Pass;

  constructor(jar: TempArtifact, search: LayerSearch) {
    this.#jar = jar;
    this.#search = search;
    this.#pass = this.#start();
  }

  async update(chunk: Buffer): Promise<void> {
    const pass = this.#pass;
    if (pass.failure !== undefined || pass.input.destroyed) return;
    // A copy: the download frees or reuses its buffers once the update is taken.
    if (pass.input.push(Buffer.from(chunk))) return;
    await new Promise<void>((resolve) => {
      pass.waiting = resolve;
    });
  }

  async restart(): Promise<void> {
    await this.#stop(this.#pass);
    await this.#jar.reset();
    this.#pass = this.#start();
  }

  /**
   * The layer has ended: what it says of the file (found, hidden by a
   * whiteout, absent), once every byte of the file is in the JAR's temp
   * file; or the extraction's failure (not a tar, not gzip, the file's size
   * not ARTIFACT_EXPECTED_SIZE...).
   */
  async finish(): Promise<TarSearchResult> {
    const pass = this.#pass;
    pass.input.push(null);
    const result = await pass.done;
    await pass.writing;
    if (pass.failure !== undefined) throw pass.failure;
    return result;
  }

  /** Stops the extraction for good (the layer was refused): nothing more is written. */
  async abandon(): Promise<void> {
    await this.#stop(this.#pass);
  }

  #start(): Pass {
    const pass: Pass = {
      input: new Readable({
        highWaterMark: bufferBytes,
        read: () => {
          const resume = pass.waiting;
          pass.waiting = undefined;
          resume?.();
        },
      }),
      aborted: new AbortController(),
      done: Promise.resolve({ kind: 'absent' }),
      waiting: undefined,
      writing: Promise.resolve(),
      failure: undefined,
    };
    const jar = this.#jar;
    const signal = pass.aborted.signal;
    const sink = new Writable({
      highWaterMark: bufferBytes,
      writev: (chunks, callback) => {
        // A stopped pass appends nothing more: its buffered chunks would land after the reset.
        // They are dropped, not failed: nothing may be listening to the sink any more.
        if (signal.aborted) {
          callback();
          return;
        }
        pass.writing = jar.append(chunks.map(({ chunk }) => chunk as Buffer));
        pass.writing.then(() => callback(), callback);
      },
    });
    const { compression, path, expectedSizeBytes } = this.#search;
    pass.done = findFileInLayer(pass.input, compression, {
      path,
      sink,
      expectedSizeBytes,
      signal,
    }).catch((error: unknown): TarSearchResult => {
      if (!signal.aborted) pass.failure = error;
      // The download goes on: its bytes are taken and dropped, and a push never waits again.
      pass.input.destroy();
      pass.waiting?.();
      return { kind: 'absent' };
    });
    return pass;
  }

  async #stop(pass: Pass): Promise<void> {
    pass.aborted.abort(new Error('the layer starts over'));
    pass.input.destroy();
    pass.waiting?.();
    await pass.done;
    await pass.writing.catch(() => {});
  }
}
