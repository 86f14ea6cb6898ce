import type { TempArtifact } from '../../artifact/temp-artifact.ts';
import type { Part } from './part.ts';

/**
 * The file's digest while it is written in parts: as the parts at the start
 * of the file complete, the digest follows them, reading their bytes back
 * (from the page cache) while later parts are still arriving, so little is
 * left to hash after the last byte. One read-back at a time, in order; the
 * first that fails is told to `onFailure`, and no later one runs.
 */
export class OrderedDigest {
  readonly #temp: TempArtifact;
  readonly #parts: readonly Part[];
  readonly #signal: AbortSignal;
  readonly #onFailure: (error: unknown) => void;
  readonly #completed: boolean[];
  #prefixParts = 0;
  #hashing: Promise<void> = Promise.resolve();

  constructor(
    temp: TempArtifact,
    parts: readonly Part[],
    signal: AbortSignal,
    onFailure: (error: unknown) => void,
  ) {
    this.#temp = temp;
    this.#parts = parts;
    this.#signal = signal;
    this.#onFailure = onFailure;
    this.#completed = parts.map(() => false);
  }

  /** Part `index` is written whole: the digest takes in the completed prefix of the file. */
  partDone(index: number): void {
    this.#completed[index] = true;
    while (this.#completed[this.#prefixParts] === true) this.#prefixParts += 1;
    const prefixEnd = (this.#parts[this.#prefixParts - 1]?.lastByte ?? -1) + 1;
    this.#hashing = this.#hashing.then(() => this.#temp.hashThrough(prefixEnd, this.#signal));
    this.#hashing.catch(this.#onFailure);
  }

  /** Resolves once every read-back asked for has ended, failed or not. */
  async settled(): Promise<void> {
    await this.#hashing.catch(() => {});
  }
}
