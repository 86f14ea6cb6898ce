export interface BackoffPolicy {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * Delay before retry number `retryNumber` (1 for the first retry): exponential
 * backoff with full jitter (a uniform draw in [0, min(max, base * 2^(n-1))]),
 * so replicas that failed together do not retry together. A server's
 * Retry-After is a floor under the draw, still capped at maxDelayMs: a busy
 * server that keeps saying "1" still sees the loader back off, so a herd
 * spreads out even when the server underestimates its queue.
 */
export function backoffDelayMs(
  retryNumber: number,
  policy: BackoffPolicy,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(
    policy.maxDelayMs,
    policy.baseDelayMs * 2 ** Math.min(retryNumber - 1, 30),
  );
  const drawn = Math.floor(random() * ceiling);
  if (retryAfterMs === undefined) return drawn;
  return Math.min(policy.maxDelayMs, Math.max(drawn, retryAfterMs));
}
