// A node:http server on 127.0.0.1, port 0, answering with one handler; closed,
// every connection with it, on dispose. For tests that shape each answer by hand.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackServer extends AsyncDisposable {
  readonly origin: string;
  /** The request targets received, in order (path and query). */
  readonly paths: string[];
  /** The headers of each request received, in order. */
  readonly headers: IncomingMessage['headers'][];
  url(path?: string): URL;
}

export async function serve(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<LoopbackServer> {
  const paths: string[] = [];
  const headers: IncomingMessage['headers'][] = [];
  const server = createServer((request, response) => {
    paths.push(request.url ?? '');
    headers.push(request.headers);
    handler(request, response);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    paths,
    headers,
    url: (path = '/app.jar') => new URL(path, origin),
    [Symbol.asyncDispose]: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
    },
  };
}
