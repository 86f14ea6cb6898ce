// Minimal clients for testing the fixture servers themselves: a node:http(s)
// request that keeps whatever body arrived plus the error that cut it short,
// and a raw TCP exchange that can tell a reset (RST) from a clean end (FIN).
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import net from 'node:net';

export interface GetResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Set when the response broke off before its end (e.g. ECONNRESET). */
  error: NodeJS.ErrnoException | undefined;
}

export interface GetOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Trusted CA PEM for https. */
  ca?: string;
  /** Abort the request once this many body bytes have arrived. */
  abortAfterBytes?: number;
  /** Called once, when the first body bytes arrive: a cue that the transfer is under way. */
  onFirstBytes?: () => void;
}

/** One request on a fresh connection (no keep-alive pool to outlive the test). */
export function httpGet(url: string, options: GetOptions = {}): Promise<GetResult> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    // Once the response has begun, a broken connection is a result to look at, not a failure.
    let finish: ((error?: NodeJS.ErrnoException) => void) | undefined;
    const req = client.request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: false,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let received = 0;
        finish = (error) =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            error,
          });
        res.on('data', (chunk: Buffer) => {
          if (received === 0) options.onFirstBytes?.();
          chunks.push(chunk);
          received += chunk.length;
          if (options.abortAfterBytes !== undefined && received >= options.abortAfterBytes) {
            finish?.();
            req.destroy();
          }
        });
        res.on('end', () => finish?.());
        res.on('error', (error) => finish?.(error));
      },
    );
    req.on('error', (error) => (finish ? finish(error) : reject(error)));
    req.end();
  });
}

export interface RawExchange {
  /** Everything the server sent, headers included. */
  raw: Buffer;
  /** The body part of `raw` (after the blank line). */
  body: Buffer;
  /** 'fin' for a clean end of stream, otherwise the socket error code (e.g. 'ECONNRESET'). */
  ending: string;
}

/** Sends one GET (or `method`) over a plain socket and reads until the server ends or breaks the connection. */
export function rawGet(
  origin: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<RawExchange> {
  const { hostname, port } = new URL(origin);
  const lines = [`${method} ${path} HTTP/1.1`, `host: ${hostname}:${port}`, 'connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const finish = (ending: string) => {
      const raw = Buffer.concat(chunks);
      const headerEnd = raw.indexOf('\r\n\r\n');
      resolve({
        raw,
        body: headerEnd === -1 ? Buffer.alloc(0) : raw.subarray(headerEnd + 4),
        ending,
      });
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish('fin'));
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}
