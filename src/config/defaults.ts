/** Production defaults. Units are in the names; tests override them with short values. */
export const defaults = {
  outputPath: '/app/jars/app.jar',
  verifyJar: true,
  keepVerified: true,
  deadlineMs: 600_000,
  connectTimeoutMs: 10_000,
  stallTimeoutMs: 30_000,
  maxAttempts: 8,
  connections: 4,
  parallelThresholdBytes: 64 * 1024 * 1024,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  maxRedirects: 5,
  terminationLogPath: '/dev/termination-log',
  progressIntervalMs: 2_000,
} as const;
