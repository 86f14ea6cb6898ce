export interface BackoffPolicy {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * Delay before retry number `retryNumber` (1 for the first retry): exponential
 * backoff with full jitter (a uniform draw in [0, min(max, base * 2^(n-1))]),
 * so replicas that failed together do not retry together. A server's
 * Retry-After replaces the draw, still capped at maxDelayMs.
 */
export function backoffDelayMs(
  retryNumber: number,
  policy: BackoffPolicy,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(policy.maxDelayMs, Math.max(0, retryAfterMs));
  const ceiling = Math.min(
    policy.maxDelayMs,
    policy.baseDelayMs * 2 ** Math.min(retryNumber - 1, 30),
  );
  return Math.floor(random() * ceiling);
}
