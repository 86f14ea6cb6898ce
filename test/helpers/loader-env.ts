// Environments for the built loader run against a loopback artifact server.
import type { ArtifactServer } from './fault-server.ts';

/** Where a run downloads from and to; without a termination log the variable stays unset. */
export interface LoaderPlace {
  server: ArtifactServer;
  target: string;
  terminationLog?: string;
}

/** Variables to set, or `undefined` to leave one unset so the loader uses its default. */
export type EnvOverrides = Record<string, string | undefined>;

/** Timeouts short enough that a stall, a dead connection or a backoff costs about a second. */
const fastTimeouts = {
  LOADER_STALL_TIMEOUT_SECONDS: '0.5',
  LOADER_CONNECT_TIMEOUT_SECONDS: '1',
  LOADER_BACKOFF_BASE_SECONDS: '0.05',
  LOADER_BACKOFF_MAX_SECONDS: '2',
  LOADER_DEADLINE_SECONDS: '10',
} as const;

/** The server's URL and artifact size, the target and the termination log, then `overrides`. */
export function loaderEnv(
  place: LoaderPlace,
  overrides: EnvOverrides = {},
): Record<string, string> {
  const env: EnvOverrides = {
    ARTIFACT_URL: place.server.url(),
    ARTIFACT_PATH: place.target,
    ARTIFACT_EXPECTED_SIZE: String(place.server.artifact.length),
    LOADER_TERMINATION_LOG: place.terminationLog,
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** loaderEnv with JSON logs, no JAR check and fastTimeouts: for runs that play out faults. */
export function fastLoaderEnv(
  place: LoaderPlace,
  overrides: EnvOverrides = {},
): Record<string, string> {
  return loaderEnv(place, {
    LOADER_VERIFY_JAR: 'false',
    LOADER_LOG_FORMAT: 'json',
    ...fastTimeouts,
    ...overrides,
  });
}
