export type LogFormat = 'json' | 'text';

/** LOADER_VERIFY_JAR: `true`, `false` or `auto`. */
export type VerifyJar = boolean | 'auto';

/** Proxy settings from the conventional variables; undefined means none. */
export interface ProxySettings {
  readonly httpProxy: string | undefined;
  readonly httpsProxy: string | undefined;
  readonly noProxy: string | undefined;
}

/** The whole configuration, validated and normalised once at the edge, then passed down. */
export interface LoaderConfig {
  /** The signed artifact URL. Never log it whole: use `redactUrl`. */
  readonly url: URL;
  readonly expectedSizeBytes: number;
  readonly outputPath: string;
  /** Lower-case hex SHA-256 the artifact must have, when given. */
  readonly sha256: string | undefined;
  /** true: must be a sound zip/JAR; 'auto': must be one if it claims to be a zip; false: not checked. */
  readonly verifyJar: VerifyJar;
  /** Keep a file verified by an earlier run when the server refuses the URL (401/403) or is out of reach. */
  readonly keepVerified: boolean;
  readonly logFormat: LogFormat;
  readonly deadlineMs: number;
  readonly connectTimeoutMs: number;
  readonly stallTimeoutMs: number;
  readonly maxAttempts: number;
  /** Connections for a download in parts; 1 means always one connection. */
  readonly connections: number;
  /** Artifacts at least this large are fetched in parts when the server allows it. */
  readonly parallelThresholdBytes: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly maxRedirects: number;
  readonly terminationLogPath: string;
  /** How often progress is reported: events every 2 s (or tenth), a terminal's bar more often. */
  readonly progressIntervalMs: number;
  /** Progress is a bar redrawn in place on a terminal: redrawn on time even when no byte came. */
  readonly progressBar: boolean;
  readonly proxy: ProxySettings;
}
