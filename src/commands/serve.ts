import { stat } from 'node:fs/promises';
import { logFormatFor } from '../config/load-config.ts';
import { ConfigError, ExitCode } from '../errors.ts';
import { Logger } from '../log/logger.ts';
import { Redactor } from '../log/redact.ts';
import { quote } from '../options/expected.ts';
import type { AdmissionOptions } from '../serve/admission.ts';
import { startArtifactServer } from '../serve/server.ts';
import { defaultClockSkewSeconds } from '../urls/verify-url.ts';
import { readSecretFile } from './secret-file.ts';
import { perClientDefault, serveFlags } from './serve-flags.ts';
import { parseToolFlags } from './tool-flags.ts';
import type { ToolIo } from './tool-io.ts';

export const serveHelp = `Usage: runtime-loader serve --dir DIR --secret-file FILE [flags]

Serves the files under DIR, only through URLs signed with a secret from FILE
(make them with \`runtime-loader sign\`). GET and HEAD, single byte ranges,
strong ETag and Last-Modified. 403 for a missing, bad or expired signature,
404 for anything that is not a regular file inside DIR. The access log never
contains a query string. SIGTERM stops it gracefully.

  --dir DIR                 folder to serve (required)
  --secret-file FILE        signing secrets, one per line; the first signs, all verify (required)
  --host HOST               address to listen on [default: 127.0.0.1]
  --port PORT               port to listen on; 0 picks a free one [default: 8080]
  --clock-skew DURATION     accept URLs this long past expiry, for clock drift [default: ${defaultClockSkewSeconds}s]
  --rate-per-connection BYTES
                            cap each connection at BYTES per second (e.g. 40MiB), as object
                            stores do; for demos and benchmarks [default: no cap]
  --max-transfers N         GET transfers in flight at most; beyond, 503 with a Retry-After
                            that spreads the clients over time (no queue) [default: 32]
  --max-transfers-per-client N
                            transfers in flight at most from one client address; raise it when
                            many clients share one address (a NAT) [default: a quarter of
                            --max-transfers, at least 1]
  --send-timeout DURATION   end a transfer whose client leaves its bytes unread this long (about
                            1 MiB must be taken per DURATION) and free its slot [default: 60s]
  --retry-after-max DURATION
                            longest Retry-After given; the loader waits at most 30 s
                            (LOADER_BACKOFF_MAX_SECONDS) whatever it is told [default: 30s]
  --shutdown-grace DURATION on SIGTERM, let requests in flight finish this long [default: 10s]
  --log-format json|text    [default: text on a terminal, json otherwise]
`;

/** `runtime-loader serve`: runs until SIGTERM or SIGINT, then shuts down gracefully. */
export async function runServe(args: readonly string[], io: ToolIo): Promise<number> {
  const flags = parseToolFlags('serve', args, serveFlags);
  if (flags.help) {
    io.stdout(serveHelp);
    return ExitCode.ok;
  }
  const logger = new Logger({
    format: logFormatFor(flags.read(serveFlags.logFormat), io.stdoutIsTerminal),
    redactor: new Redactor(),
    write: io.stdout,
    interactive: false,
  });
  const folder = flags.required(serveFlags.dir);
  const secretPath = flags.required(serveFlags.secretFile);
  const port = flags.read(serveFlags.port);
  const host = flags.read(serveFlags.host);
  const clockSkewSeconds = flags.read(serveFlags.clockSkewSeconds);
  const bytesPerSecondPerConnection = flags.read(serveFlags.ratePerConnection);
  const graceMs = 1000 * flags.read(serveFlags.shutdownGraceSeconds);
  const sendTimeoutMs = 1000 * flags.read(serveFlags.sendTimeoutSeconds);
  const maxTransfers = flags.read(serveFlags.maxTransfers);
  const admission: AdmissionOptions = {
    maxTransfers,
    maxTransfersPerClient:
      flags.read(serveFlags.maxTransfersPerClient) ?? perClientDefault(maxTransfers),
    retryAfterMaxSeconds: flags.read(serveFlags.retryAfterMaxSeconds),
  };

  const folderStats = await stat(folder).catch(() => undefined);
  if (!folderStats?.isDirectory()) throw new ConfigError(`--dir ${quote(folder)} is not a folder`);
  const secrets = await readSecretFile(secretPath);
  if (secrets.tooOpen) {
    logger.warn(
      'secret-file-open',
      `--secret-file ${quote(secretPath)} is readable by group or others; chmod 600 it`,
      {
        path: secretPath,
      },
    );
  }

  let server: Awaited<ReturnType<typeof startArtifactServer>>;
  try {
    server = await startArtifactServer({
      folder,
      keys: secrets.keys,
      clockSkewSeconds,
      bytesPerSecondPerConnection,
      sendTimeoutMs,
      host,
      port,
      logger,
      admission,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      throw new ConfigError(`--host: cannot resolve ${quote(host)} (${code})`, { cause: error });
    }
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
      throw new ConfigError(
        `--host/--port: cannot listen on ${quote(host)}, port ${port} (${code})`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
  logger.info('listening', `serving ${folder} at ${server.origin}`, {
    url: server.origin,
    dir: folder,
    keyIds: secrets.keys.map((key) => key.id),
    bytesPerSecondPerConnection,
    maxTransfers: admission.maxTransfers,
    maxTransfersPerClient: admission.maxTransfersPerClient,
    retryAfterMaxSeconds: admission.retryAfterMaxSeconds,
    sendTimeoutSeconds: sendTimeoutMs / 1000,
  });

  if (!io.signal.aborted) {
    await new Promise((resolve) => io.signal.addEventListener('abort', resolve, { once: true }));
  }
  logger.info(
    'stopping',
    `${String(io.signal.reason)}: finishing requests in flight (up to ${graceMs / 1000} s)`,
  );
  await server.close(graceMs);
  logger.info('stopped', 'all connections closed');
  return ExitCode.ok;
}
