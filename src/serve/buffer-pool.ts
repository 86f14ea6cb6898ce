/**
 * Read buffers handed from one transfer to the next. A transfer takes one
 * when it starts and gives it back when its connection has taken the last
 * byte read into it (or is gone), so the server holds one buffer per transfer
 * in flight at its busiest and makes no garbage as it sends: a buffer read
 * and dropped per chunk would wait for a collection, and between collections
 * those add up to tens of MiB.
 */
export class BufferPool {
  readonly #free: Buffer[] = [];
  /** The size of every buffer. */
  readonly bytes: number;
  #made = 0;

  constructor(bytes: number) {
    this.bytes = bytes;
  }

  /** A buffer of `bytes`, reused when one is free; its contents are whatever the last user left. */
  take(): Buffer {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    this.#made += 1;
    return Buffer.allocUnsafeSlow(this.bytes);
  }

  /** Only once nothing (no write in flight) refers to the buffer any more. */
  give(buffer: Buffer): void {
    this.#free.push(buffer);
  }

  /** Buffers made so far, and how many of them are free now. */
  get stats(): { made: number; free: number } {
    return { made: this.#made, free: this.#free.length };
  }
}
