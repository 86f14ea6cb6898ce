import { nowMs } from '../process/clock.ts';

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
  #lastReportAt = 0;
  #lastTenth = 0;
  #rateFromBytes = 0;
  #rateFromTime = 0;
  /** The latest count, once any byte has been counted: what `tick` redraws. */
  #bytes: number | undefined;

  constructor(
    totalBytes: number,
    intervalMs: number,
    report: (progress: ProgressReport) => void,
    now: () => number = nowMs,
  ) {
    this.#totalBytes = totalBytes;
    this.#intervalMs = intervalMs;
    this.#report = report;
    this.#now = now;
    this.begin();
  }

  /** Starts measuring from now: at construction, and again when the download begins after a re-run's first request. */
  begin(): void {
    this.#lastReportAt = this.#now();
    this.#rateFromTime = this.#lastReportAt;
  }

  /** Starts measuring the rate again from `bytes` (a new attempt, resumed or restarted). */
  restart(bytes: number): void {
    this.#rateFromBytes = bytes;
    this.#rateFromTime = this.#now();
    this.#lastTenth = Math.floor((bytes / this.#totalBytes) * 10);
    if (this.#bytes !== undefined) this.#bytes = bytes;
  }

  update(bytes: number): void {
    this.#bytes = bytes;
    const now = this.#now();
    const tenth = Math.floor((bytes / this.#totalBytes) * 10);
    if (now - this.#lastReportAt < this.#intervalMs && tenth <= this.#lastTenth) return;
    this.#lastTenth = tenth;
    this.#emit(bytes, now);
  }

  /**
   * Reports the latest count again when `intervalMs` has passed without a
   * report, so a bar keeps moving (its rate and ETA) while no byte arrives.
   * Nothing before the first byte: there is no count to show yet.
   */
  tick(): void {
    const now = this.#now();
    if (this.#bytes === undefined || now - this.#lastReportAt < this.#intervalMs) return;
    this.#emit(this.#bytes, now);
  }

  #emit(bytes: number, now: number): void {
    this.#lastReportAt = now;
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
