export interface ProgressReport {
  readonly bytes: number;
  readonly totalBytes: number;
  readonly percent: number;
  readonly rateBytesPerSecond: number;
  readonly etaSeconds: number | undefined;
}

/**
 * Decides when progress is worth reporting: every `intervalMs`, or each time
 * another tenth of the artifact has arrived, whichever comes first.
 */
export class ProgressTracker {
  readonly #totalBytes: number;
  readonly #intervalMs: number;
  readonly #report: (progress: ProgressReport) => void;
  readonly #now: () => number;
  #lastReportAt: number;
  #lastTenth = 0;
  #rateFromBytes = 0;
  #rateFromTime: number;

  constructor(
    totalBytes: number,
    intervalMs: number,
    report: (progress: ProgressReport) => void,
    now: () => number = performance.now.bind(performance),
  ) {
    this.#totalBytes = totalBytes;
    this.#intervalMs = intervalMs;
    this.#report = report;
    this.#now = now;
    this.#lastReportAt = now();
    this.#rateFromTime = this.#lastReportAt;
  }

  /** Starts measuring the rate again from `bytes` (a new attempt, resumed or restarted). */
  restart(bytes: number): void {
    this.#rateFromBytes = bytes;
    this.#rateFromTime = this.#now();
    this.#lastTenth = Math.floor((bytes / this.#totalBytes) * 10);
  }

  update(bytes: number): void {
    const now = this.#now();
    const tenth = Math.floor((bytes / this.#totalBytes) * 10);
    if (now - this.#lastReportAt < this.#intervalMs && tenth <= this.#lastTenth) return;
    this.#lastReportAt = now;
    this.#lastTenth = tenth;
    const seconds = (now - this.#rateFromTime) / 1000;
    const rate = seconds > 0 ? (bytes - this.#rateFromBytes) / seconds : 0;
    this.#report({
      bytes,
      totalBytes: this.#totalBytes,
      percent: Math.floor((bytes / this.#totalBytes) * 1000) / 10,
      rateBytesPerSecond: Math.round(rate),
      etaSeconds: rate > 0 ? Math.round(((this.#totalBytes - bytes) / rate) * 10) / 10 : undefined,
    });
  }
}
