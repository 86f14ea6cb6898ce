/** Production defaults. Units are in the names; tests override them with short values. */
export const defaults = {
  outputPath: '/app/jars/app.jar',
  verifyJar: 'auto',
  keepVerified: true,
  deadlineMs: 100_000,
  connectTimeoutMs: 10_000,
  stallTimeoutMs: 20_000,
  maxAttempts: 8,
  connections: 4,
  parallelThresholdBytes: 64 * 1024 * 1024,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  maxRedirects: 5,
  terminationLogPath: '/dev/termination-log',
  /** Where `COPY app.jar /app.jar` puts the JAR in an image. */
  ociFile: '/app.jar',
  /** Progress events (JSON, or text lines in a file): at most this often, or every tenth. */
  progressIntervalMs: 2_000,
  /** The progress bar on a terminal: redrawn this often, data or not, as curl's meter is. */
  progressBarIntervalMs: 500,
} as const;
