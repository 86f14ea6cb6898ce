import type * as NodeCrypto from 'node:crypto';
import type * as NodeThreads from 'node:worker_threads';
import type { Worker } from 'node:worker_threads';
import type { InOrderReader } from '../../artifact/temp-artifact.ts';
import { InternalError } from '../../errors.ts';
import type { StreamingCheck, VerifiedSignature } from './check.ts';
import { type BytePass, type PassResult, type PassRunner, runPasses } from './passes.ts';

/**
 * Bytes are copied into batches of this size and handed to the worker one
 * batch at a time. Each hand-over costs the main thread tens of microseconds
 * (the transfer, the batch coming back): 2 MiB keeps that under 2 % of the
 * download's time, with memory still small.
 */
export const batchBytes = 2 * 1024 * 1024;
/** Batches handed over and not yet taken: past this, the download waits (backpressure). */
export const maxBatchesInFlight = 3;

type ToWorker =
  | { readonly kind: 'passes'; readonly passes: readonly BytePass[] }
  | { readonly kind: 'bytes'; readonly batch: ArrayBuffer; readonly length: number }
  | { readonly kind: 'restart' }
  | { readonly kind: 'finish' };

type FromWorker =
  | { readonly kind: 'taken'; readonly batch: ArrayBuffer }
  | { readonly kind: 'results'; readonly results: PassResult[] };

/**
 * A SignatureReader whose passes (BLAKE2b-512 for minisign `ED`, a SHA-256
 * Verify per ECDSA key for cosign) run on a worker thread, so they use a core
 * the download leaves idle instead of adding to the main thread's SHA-256
 * (about 1 s of CPU per GiB each). Each chunk is copied into a 2 MiB batch
 * (the download frees or reuses its chunks once it has them written); a full
 * batch is moved to the worker, which hands it back once its passes took it
 * in, for reuse. With 3 batches out, `update` returns a promise that holds
 * the download back until one comes back: memory stays at 8 MiB whatever the
 * file's size or the worker's speed.
 *
 * The worker starts with the reader, so it boots while the signature is
 * fetched; the check comes once the signature is read (begin). Anything that
 * goes wrong with the worker is a bug (exit 1), never a verdict on the file.
 * See signature-reader.ts for what each method promises.
 */
export class WorkerSignatureReader implements InOrderReader {
  #check: StreamingCheck | undefined;
  readonly #worker: Worker;
  readonly #spare: ArrayBuffer[] = [];
  #batch: Uint8Array | undefined;
  #filled = 0;
  #inFlight = 0;
  /** Who waits for a batch to come back: each is woken by the next one. */
  #waiting: (() => void)[] = [];
  #results: ((results: PassResult[]) => void) | undefined;
  #failure: Error | undefined;
  #state: 'reading' | 'finishing' | 'closed' = 'reading';

  constructor() {
    // node:worker_threads at its first use: a download without keys never loads it.
    const { Worker } = process.getBuiltinModule('node:worker_threads');
    this.#worker = new Worker(workerSource, { eval: true });
    this.#worker.on('message', (message: FromWorker) => this.#received(message));
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', (code) => {
      if (this.#state !== 'closed') this.#fail(new Error(`it exited with code ${code}`));
    });
  }

  begin(check: StreamingCheck): void {
    if (this.#check !== undefined) throw new Error('the signature reader has its check already');
    this.#check = check;
    this.#post({ kind: 'passes', passes: check.passes });
  }

  get check(): StreamingCheck {
    if (this.#check === undefined) throw new Error('the signature reader has no check yet');
    return this.#check;
  }

  update(chunk: Buffer): Promise<void> | undefined {
    this.#throwIfUnusable();
    for (let at = 0; at < chunk.length; ) {
      this.#batch ??= new Uint8Array(this.#spare.pop() ?? new ArrayBuffer(batchBytes));
      const length = Math.min(chunk.length - at, batchBytes - this.#filled);
      this.#batch.set(chunk.subarray(at, at + length), this.#filled);
      this.#filled += length;
      at += length;
      if (this.#filled === batchBytes) this.#handOver();
    }
    if (this.#inFlight < maxBatchesInFlight) return undefined;
    return new Promise<void>((resolve) => {
      this.#waiting.push(resolve);
    }).then(() => this.#throwIfFailed());
  }

  /** The file starts over: what the passes took in so far is dropped, in the worker too. */
  restart(): void {
    this.#throwIfUnusable();
    this.#filled = 0;
    this.#post({ kind: 'restart' });
  }

  /**
   * The verdict once the last byte was read: the key and form that verified,
   * or the check's IntegrityError. `sha256Hex` only explains a failure.
   */
  async verdict(sha256Hex?: string): Promise<VerifiedSignature> {
    this.#throwIfUnusable();
    if (this.#filled > 0) this.#handOver();
    this.#state = 'finishing';
    const results = await new Promise<PassResult[]>((resolve) => {
      this.#results = resolve;
      this.#post({ kind: 'finish' });
    });
    this.#throwIfFailed();
    if (this.#isClosed()) throw new Error('the signature reader was closed before its verdict');
    return this.check.verdict(results, sha256Hex);
  }

  /** Stops the worker; safe to call more than once, and at any point. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#wakeUp();
    await this.#worker.terminate();
  }

  #handOver(): void {
    const batch = this.#batch;
    if (batch === undefined) return;
    this.#post({ kind: 'bytes', batch: batch.buffer as ArrayBuffer, length: this.#filled }, [
      batch.buffer as ArrayBuffer,
    ]);
    this.#inFlight += 1;
    this.#batch = undefined;
    this.#filled = 0;
  }

  #post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.#worker.postMessage(message, transfer);
  }

  #received(message: FromWorker): void {
    if (message.kind === 'results') {
      this.#results?.(message.results);
      this.#results = undefined;
      return;
    }
    this.#inFlight -= 1;
    this.#spare.push(message.batch);
    this.#wakeWaiting();
  }

  #fail(error: Error): void {
    this.#failure ??= new InternalError(
      `the signature check's worker thread failed: ${error.message}`,
      { cause: error },
    );
    this.#wakeUp();
  }

  /** Whoever waits for the worker learns at once that it will not answer. */
  #wakeUp(): void {
    this.#wakeWaiting();
    this.#results?.([]);
    this.#results = undefined;
  }

  #wakeWaiting(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const wake of waiting) wake();
  }

  /** A method, so the compiler does not narrow the state across an await. */
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #throwIfUnusable(): void {
    this.#throwIfFailed();
    if (this.#check === undefined) throw new Error('the signature reader has no check yet');
    if (this.#state === 'closed') throw new Error('the signature reader is closed');
    if (this.#state === 'finishing')
      throw new Error(`the ${this.check.form} signature check has already finished`);
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}

/**
 * The worker's side: runs the passes over each batch, hands the batch back,
 * and sends the results when asked. Like runPasses it uses only its
 * arguments: both are sent to the worker as source text.
 */
function workerMain(
  run: typeof runPasses,
  crypto: typeof NodeCrypto,
  threads: typeof NodeThreads,
): void {
  const port = threads.parentPort;
  let passes: readonly BytePass[] = [];
  let runner: PassRunner = run(crypto, passes);
  port?.on('message', (message: ToWorker) => {
    if (message.kind === 'passes') {
      passes = message.passes;
      runner = run(crypto, passes);
    } else if (message.kind === 'bytes') {
      runner.update(new Uint8Array(message.batch, 0, message.length));
      port.postMessage({ kind: 'taken', batch: message.batch }, [message.batch]);
    } else if (message.kind === 'restart') {
      runner = run(crypto, passes);
    } else {
      const results = runner.results();
      // The held file goes back without a copy; a digest is small, and may sit in a shared pool.
      const held = results.flatMap((result, index) =>
        passes[index]?.kind === 'hold' && result instanceof Uint8Array ? [result.buffer] : [],
      );
      port.postMessage({ kind: 'results', results }, held as ArrayBuffer[]);
    }
  });
}

const workerSource = `(${workerMain})(${runPasses}, require('node:crypto'), require('node:worker_threads'));`;
