import { realpath } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.ts';
import type { SigningKey } from '../urls/keys.ts';
import { type Admission, AdmissionControl, type AdmissionOptions } from './admission.ts';
import { createHandler } from './handler.ts';
import { answerHealthCheck, isHealthCheck } from './health.ts';
import { loggedPath, splitTarget } from './request-target.ts';
import { type AccessRecord, reply, sendText } from './responses.ts';

export interface ArtifactServerOptions {
  /** The folder whose files are served. */
  readonly folder: string;
  readonly keys: readonly SigningKey[];
  readonly clockSkewSeconds: number;
  readonly bytesPerSecondPerConnection: number | undefined;
  /** A transfer whose client does not take its bytes for this long is ended (send-timeout.ts). */
  readonly sendTimeoutMs: number;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Receives one access-log event per request, and the server's own events. */
  readonly logger: Logger;
  readonly now?: () => Date;
  /** Bounds on GET transfers in flight (see admission.ts); none when absent. */
  readonly admission?: AdmissionOptions;
}

export interface RunningArtifactServer {
  /** `http://host:port`, the base URL to sign against. */
  readonly origin: string;
  /**
   * Stops accepting connections, lets requests in flight finish for up to
   * `graceMs`, then cuts whatever is left. Resolves when every connection is closed.
   */
  close(graceMs: number): Promise<void>;
}

/** 503 with the Retry-After the admission control chose; the connection stays open. */
function turnAway(
  target: string | undefined,
  response: ServerResponse,
  record: AccessRecord,
  turn: Extract<Admission, { admitted: false }>,
): void {
  record.path = loggedPath(splitTarget(target).rawPath);
  record.reason = turn.reason;
  reply(response, record, 503, `Server busy, retry after ${turn.retryAfterSeconds} s`, {
    'retry-after': String(turn.retryAfterSeconds),
  });
}

/** A connection with no traffic either way for this long is closed. */
const idleTimeoutMs = 60_000;

/** Starts the reference artifact server: files under a folder, behind signed URLs. */
export async function startArtifactServer(
  options: ArtifactServerOptions,
): Promise<RunningArtifactServer> {
  const { logger } = options;
  const folderReal = await realpath(options.folder);
  const handle = createHandler({ ...options, folderReal, now: options.now ?? (() => new Date()) });
  const admission = options.admission && new AdmissionControl(options.admission);
  let closing = false;

  const server: Server = createServer((request, response) => {
    const startedAt = performance.now();
    const record: AccessRecord = {
      method: request.method ?? '',
      path: '',
      status: 0,
      bytes: 0,
      complete: false,
    };
    if (closing) response.setHeader('connection', 'close');
    // Probes come before admission: a herd holding every transfer slot must not make a
    // healthy server look dead. They are not logged either: the kubelet asks every few
    // seconds per probe, which would bury the transfers in the access log.
    if (isHealthCheck(request.method, request.url)) return answerHealthCheck(response);
    const closed = new Promise((resolve) => response.once('close', resolve));
    // HEAD and the short error answers cost little; only a GET can become a transfer.
    const turn =
      request.method === 'GET' ? admission?.admit(request.socket.remoteAddress ?? '') : undefined;
    if (turn?.admitted) response.once('close', turn.release);
    const handled = (
      turn?.admitted === false
        ? Promise.resolve(turnAway(request.url, response, record, turn))
        : handle(request, response, record)
    ).catch((error: unknown) => {
      if (response.headersSent) {
        // Mostly the client going away mid-body; the access log shows it as incomplete.
        response.destroy();
        return;
      }
      record.reason = 'internal error';
      logger.error('internal-error', error instanceof Error ? error.message : String(error));
      record.complete = true;
      sendText(response, 500, 'Internal error');
    });
    // One event once both the handler and the connection are done with the request: a
    // client may close before the handler has recorded the end of a response it received.
    Promise.all([handled, closed]).then(() => {
      record.status = response.statusCode;
      logger.info('request', `${record.method} ${record.path} ${record.status}`, {
        ...record,
        durationMs: Math.round(performance.now() - startedAt),
        remote: request.socket.remoteAddress,
        userAgent: request.headers['user-agent']?.slice(0, 100),
      });
      if (closing) server.closeIdleConnections();
    });
  });

  // A client that stops reading must not hold a file and a connection until shutdown.
  server.timeout = idleTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address, family } = server.address() as AddressInfo;
  const origin = `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;

  return {
    origin,
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        closing = true;
        const cutoff = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(cutoff);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
