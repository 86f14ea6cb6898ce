import { stat } from 'node:fs/promises';
import { logFormatFor } from '../config/load-config.ts';
import { ConfigError, ExitCode } from '../errors.ts';
import { Logger } from '../log/logger.ts';
import { Redactor } from '../log/redact.ts';
import { quote } from '../options/expected.ts';
import type { AdmissionOptions } from '../serve/admission.ts';
import { startArtifactServer } from '../serve/server.ts';
import { readSecretFile } from './secret-file.ts';
import { perClientDefault, serveFlags, serveHelp } from './serve-flags.ts';
import { parseToolFlags, type ToolIo } from './tool.ts';

/** `runtime-loader serve`: runs until SIGTERM or SIGINT, then shuts down gracefully. */
export async function runServe(args: readonly string[], io: ToolIo): Promise<number> {
  const flags = parseToolFlags('serve', args, serveFlags);
  if (flags.help) {
    io.stdout(serveHelp());
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
      `--secret-file ${quote(secretPath)} is readable by others or writable by its group; chmod 600 (or 640 to share it with a group)`,
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
