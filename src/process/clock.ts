/**
 * The loader's clock: milliseconds since the process started, monotonic
 * (process.uptime(), on libuv's high-resolution clock). Not performance.now():
 * the `performance` global loads node:perf_hooks and ten modules of its own
 * on first use, about 1 MiB of every run's peak (docs/performance.md).
 * Start times, the deadline and durations all read this one clock.
 */
export function nowMs(): number {
  return process.uptime() * 1000;
}
