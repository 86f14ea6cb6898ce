import * as crypto from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { InOrderReader } from '../../artifact/temp-artifact.ts';
import type { StreamingCheck, VerifiedSignature } from './check.ts';
import { type PassRunner, runPasses } from './passes.ts';
import { WorkerSignatureReader } from './worker-reader.ts';

/**
 * The publisher's signature checked while the file streams, as one of the
 * temp file's in-order readers: its check's passes take every byte once, in
 * order, and the verdict comes after the last.
 */
export interface SignatureReader extends InOrderReader {
  readonly check: StreamingCheck;
  /** The check whose passes take the bytes, once the signature is read; before the first byte. */
  begin(check: StreamingCheck): void;
  /**
   * The verdict once the last byte was read: the key and form that verified,
   * or the check's IntegrityError. `sha256Hex` only explains a failure.
   */
  verdict(sha256Hex?: string): Promise<VerifiedSignature>;
  /** Frees what it holds; safe to call more than once, and at any point. */
  close(): Promise<void>;
}

/** Where the passes run: on a worker thread of their own, or on the main thread. */
export type PassThread = 'worker' | 'main';

/**
 * Below this, the passes cost the main thread less than a worker takes to
 * start (its own Node environment: about 30 ms of CPU and 20 MiB); BLAKE2b
 * takes about 35 ms for 32 MiB here.
 */
export const workerFromBytes = 32 * 1024 * 1024;

/**
 * Where the passes over `sizeBytes` run: on a worker thread when the file is
 * large enough to pay for one and a second CPU is there to run it. With one
 * CPU (a container limited to one, which availableParallelism reads from its
 * cgroup quota) a worker would take the main thread's time all the same.
 */
export function passThreadFor(sizeBytes: number): PassThread {
  return sizeBytes >= workerFromBytes && availableParallelism() >= 2 ? 'worker' : 'main';
}

/** A reader whose passes run on `thread`; a worker starts now, so it boots while the signature is fetched. */
export function startSignatureReader(thread: PassThread): SignatureReader {
  return thread === 'worker' ? new WorkerSignatureReader() : new MainThreadReader();
}

/** The passes on the main thread, each chunk taken as it comes: no copy, no thread. */
class MainThreadReader implements SignatureReader {
  #check: StreamingCheck | undefined;
  #runner: PassRunner | undefined;
  #state: 'reading' | 'finishing' | 'closed' = 'reading';

  get check(): StreamingCheck {
    if (this.#check === undefined) throw new Error('the signature reader has no check yet');
    return this.#check;
  }

  begin(check: StreamingCheck): void {
    if (this.#check !== undefined) throw new Error('the signature reader has its check already');
    this.#check = check;
    this.#runner = runPasses(crypto, check.passes);
  }

  update(chunk: Buffer): void {
    this.#usable().update(chunk);
  }

  restart(): void {
    this.#usable();
    this.#runner = runPasses(crypto, this.check.passes);
  }

  async verdict(sha256Hex?: string): Promise<VerifiedSignature> {
    const results = this.#usable().results();
    this.#state = 'finishing';
    return this.check.verdict(results, sha256Hex);
  }

  async close(): Promise<void> {
    this.#state = 'closed';
  }

  #usable(): PassRunner {
    if (this.#state === 'closed') throw new Error('the signature reader is closed');
    if (this.#state === 'finishing')
      throw new Error(`the ${this.check.form} signature check has already finished`);
    if (this.#runner === undefined) throw new Error('the signature reader has no check yet');
    return this.#runner;
  }
}
