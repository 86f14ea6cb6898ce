// A tiny forward proxy on 127.0.0.1: absolute-form HTTP requests are forwarded
// with node:http, CONNECT opens a TCP tunnel. It only reaches loopback targets,
// so a misconfigured test can never send traffic off the machine. With `credentials`
// it answers any request without them (as Proxy-Authorization: Basic) with a 407.
import { once } from 'node:events';
import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface ProxiedRequest {
  method: string;
  /** The absolute URL of a forwarded request, or `host:port` of a CONNECT. */
  target: string;
  /** The Proxy-Authorization header, when the request had one. */
  proxyAuthorization?: string;
}

/** What the proxy records of a request: its method and target, and the credentials it was given. */
function recorded(method: string, target: string, headers: IncomingHttpHeaders): ProxiedRequest {
  const authorization = headers['proxy-authorization'];
  return authorization === undefined
    ? { method, target }
    : { method, target, proxyAuthorization: authorization };
}

export interface ForwardProxy extends AsyncDisposable {
  /** e.g. http://127.0.0.1:PORT, for HTTPS_PROXY / HTTP_PROXY. */
  url: string;
  port: number;
  requests: ProxiedRequest[];
  /** Stops listening and destroys every client, upstream and tunnel socket. */
  close(): Promise<void>;
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
// Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded.
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
]);

export async function startProxy(
  options: { credentials?: { username: string; password: string } } = {},
): Promise<ForwardProxy> {
  const requests: ProxiedRequest[] = [];
  const { credentials } = options;
  const expected =
    credentials === undefined
      ? undefined
      : `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const refused = (headers: IncomingHttpHeaders) =>
    expected !== undefined && headers['proxy-authorization'] !== expected;
  const sockets = new Set<Duplex>();
  const track = (socket: Duplex) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? '';
    requests.push(recorded(req.method ?? '', target, req.headers));
    if (refused(req.headers)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end();
      return;
    }
    const url = URL.canParse(target) ? new URL(target) : undefined;
    if (url?.protocol !== 'http:' || !loopbackHosts.has(url.hostname)) {
      res.writeHead(url ? 403 : 400).end();
      return;
    }
    const upstream = http.request(url, {
      method: req.method,
      headers: endToEnd(req.headers),
      agent: false,
    });
    upstream.on('socket', track);
    upstream.on('response', (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, endToEnd(upstreamRes.headers));
      upstreamRes.pipe(res);
      upstreamRes.on('aborted', () => res.destroy());
    });
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  };

  const server = http.createServer(forward);
  server.on('connection', track);
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    const target = req.url ?? '';
    requests.push(recorded('CONNECT', target, req.headers));
    if (refused(req.headers)) {
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm="test"\r\n\r\n',
      );
      return;
    }
    const url = URL.canParse(`http://${target}`) ? new URL(`http://${target}`) : undefined;
    if (!url || !loopbackHosts.has(url.hostname)) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream: Socket = net.connect(
      Number(url.port || 80),
      url.hostname.replace(/^\[|\]$/g, ''),
    );
    track(upstream);
    let established = false;
    upstream.on('connect', () => {
      established = true;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    // Before the tunnel is up the client still speaks HTTP; after, it only sees the socket end.
    upstream.on('error', () =>
      established ? client.destroy() : client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'),
    );
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      for (const socket of sockets) socket.destroy();
    });
    return closed;
  };
  return { url: `http://127.0.0.1:${port}`, port, requests, close, [Symbol.asyncDispose]: close };
}

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !hopByHop.has(name)));
}
