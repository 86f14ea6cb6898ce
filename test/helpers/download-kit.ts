// What an in-process test of the download core needs: a real configuration
// read through loadConfig, the loader's real HTTP client, a Logger writing JSON
// events into an array and a DownloadSession over them. Small timeouts and
// backoffs come in as overrides, so a retry costs milliseconds.
import { loadConfig } from '../../src/config/load-config.ts';
import type { LoaderConfig } from '../../src/config/types.ts';
import { HttpClient } from '../../src/download/http/http-client.ts';
import { DownloadSession } from '../../src/download/session.ts';
import { type DownloadTarget, urlTarget } from '../../src/download/target.ts';
import { Logger } from '../../src/log/logger.ts';
import { Redactor } from '../../src/log/redact.ts';
import { RunFacts } from '../../src/report/run-facts.ts';

/** One JSON log line as the Logger wrote it. */
export interface LoggedEvent {
  readonly level: string;
  readonly event: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A JSON Logger, as a run makes it, that appends each event it writes to `events`. */
export function loggerInto(events: LoggedEvent[], redactor: Redactor): Logger {
  return new Logger({
    format: 'json',
    redactor,
    interactive: false,
    write: (line) => events.push(JSON.parse(line) as LoggedEvent),
  });
}

/** Fast by default: 1 ms backoff, a 2 s stall timeout, one connection. */
const fastDefaults: Partial<LoaderConfig> = {
  stallTimeoutMs: 2_000,
  connectTimeoutMs: 2_000,
  backoffBaseMs: 1,
  backoffMaxMs: 2,
  maxAttempts: 3,
  connections: 1,
};

/** The loader's configuration for `url` and `sizeBytes`, as loadConfig reads it, then `overrides`. */
export function configFor(
  url: string,
  sizeBytes: number,
  overrides: Partial<LoaderConfig> = {},
): LoaderConfig {
  const invocation = loadConfig(
    [],
    { ARTIFACT_URL: url, ARTIFACT_EXPECTED_SIZE: String(sizeBytes), LOADER_LOG_FORMAT: 'json' },
    false,
  );
  if (invocation.kind !== 'run') throw new Error(`expected a run, got ${invocation.kind}`);
  return { ...invocation.config, ...fastDefaults, ...overrides };
}

export interface DownloadKit extends AsyncDisposable {
  readonly config: LoaderConfig;
  /** What the session is aimed at: the config's URL and size, as the resolve stage makes it. */
  readonly target: DownloadTarget;
  readonly session: DownloadSession;
  readonly redactor: Redactor;
  /** Every event logged so far, in order. */
  readonly events: LoggedEvent[];
  /** The names of the events logged so far, progress left out. */
  names(): string[];
  named(event: string): LoggedEvent[];
}

/** A session as a run makes it, aimed at the config's URL, over a client that is closed on dispose. */
export function downloadKit(config: LoaderConfig, remainingMs = () => 60_000): DownloadKit {
  const events: LoggedEvent[] = [];
  const redactor = new Redactor();
  const { artifact } = config;
  if (artifact.kind !== 'url') throw new Error('downloadKit is for a URL');
  redactor.addUrl(artifact.url);
  const logger = loggerInto(events, redactor);
  const client = new HttpClient({
    connectTimeoutMs: config.connectTimeoutMs,
    stallTimeoutMs: config.stallTimeoutMs,
    proxy: { httpProxy: undefined, httpsProxy: undefined, noProxy: undefined },
  });
  const session = new DownloadSession(config, {
    client,
    logger,
    redactor,
    userAgent: 'runtime-loader-test',
    remainingMs,
    facts: new RunFacts(),
  });
  const target = urlTarget(artifact.url, artifact.expectedSizeBytes, redactor);
  session.aim(target);
  return {
    config,
    target,
    session,
    redactor,
    events,
    names: () => events.map((event) => event.event).filter((name) => name !== 'progress'),
    named: (name) => events.filter((event) => event.event === name),
    [Symbol.asyncDispose]: async () => client.close(),
  };
}
