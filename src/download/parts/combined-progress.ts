/** The bytes of all parts together, as each part tells its own: what progress shows. */
export class CombinedProgress {
  readonly #receivedBytes: number[];
  readonly #report: (totalBytes: number) => void;
  #totalBytes = 0;

  constructor(partCount: number, report: (totalBytes: number) => void) {
    this.#receivedBytes = Array.from({ length: partCount }, () => 0);
    this.#report = report;
  }

  /** The listener of part `index`: it hears the part's bytes received so far. */
  listenerOf(index: number): (bytes: number) => void {
    return (bytes) => {
      this.#totalBytes += bytes - (this.#receivedBytes[index] ?? 0);
      this.#receivedBytes[index] = bytes;
      this.#report(this.#totalBytes);
    };
  }
}
