import {
  type ClientRequest,
  type ClientRequestArgs,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from 'node:http';
import type { RequestOptions } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ProxySettings } from '../../config/types.ts';
import { connectWithin } from './connection.ts';
import { ProxyRoutes, type ProxyServer } from './proxy-route.ts';
import { releaseChunks } from './release-chunks.ts';
import { watchStalls } from './stall-timer.ts';
import { openTunnel, type TunnelOptions } from './tunnel.ts';

export interface HttpClientOptions {
  readonly connectTimeoutMs: number;
  readonly stallTimeoutMs: number;
  readonly proxy: ProxySettings;
  /**
   * CA certificates to trust instead of Node's store. The loader leaves it
   * unset: it trusts Node's store, which NODE_EXTRA_CA_CERTS extends.
   */
  readonly ca?: string | undefined;
}

/** One request on the wire: one hop, the redirects are request.ts's. */
export interface OutgoingRequest {
  readonly method: 'GET' | 'HEAD' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
}

/** How a request reaches its agent: the signal that ends a tunnel still being opened. */
const tunnelSignal = Symbol('tunnel signal');

/**
 * The run's HTTP client, on Node's own http and https modules (their parser,
 * llhttp, is native, in the Node binary). One per run, so connections are
 * kept alive and reused, by the parts of a download among others: an agent
 * for each way of reaching a server (direct over http or https, through an
 * HTTP proxy, through a tunnel), each without a limit on its connections.
 *
 * The proxy settings come from HTTP_PROXY, HTTPS_PROXY and NO_PROXY, read
 * and checked once at the edge. An http URL goes to an HTTP proxy as a request
 * in absolute form; an https URL through a CONNECT tunnel, with TLS to the
 * origin inside it; a SOCKS5 proxy tunnels both. TLS uses Node's CA store,
 * which NODE_EXTRA_CA_CERTS extends at process start, and offers only
 * HTTP/1.1.
 *
 * The connect timeout bounds each TCP connect and TLS handshake, to the
 * origin or to a proxy; the stall timeout each silence while an answer is
 * awaited (a proxy's too; see stall-timer.ts).
 */
export class HttpClient {
  readonly #options: HttpClientOptions;
  readonly #routes: ProxyRoutes;
  readonly #agents = new Map<string, HttpAgent>();

  constructor(options: HttpClientOptions) {
    this.#options = options;
    this.#routes = new ProxyRoutes(options.proxy);
  }

  /**
   * Sends `request` to `url` and resolves with the answer once its headers
   * are in; its body streams on. An abort of `signal` ends it at once, at any
   * point (connecting, in a proxy's tunnel, waiting for the headers, in the
   * body), with the signal's reason. Rejects with the error of the connection
   * or the protocol (Node's, with its `code`, or a TransportError).
   */
  send(url: URL, request: OutgoingRequest, signal: AbortSignal): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const sent = this.#request(url, request, signal);
      let answer: IncomingMessage | undefined;
      const onAbort = () => {
        // Rejected here: before a socket is assigned (a tunnel being opened), destroy() is silent.
        reject(signal.reason);
        sent.destroy(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      sent.once('close', () => signal.removeEventListener('abort', onAbort));
      watchStalls(sent, this.#options.stallTimeoutMs);
      sent.once('socket', (socket: Socket) => freeReadsOnceParsed(sent, socket));
      sent.on('response', (response: IncomingMessage) => {
        answer = response;
        resolve(response);
      });
      sent.on('error', (error) => {
        if (answer === undefined) return reject(error);
        // After the headers, the body is what fails: with the true cause, not node:http's
        // "aborted" that follows when the socket closes.
        if (!answer.complete && !answer.destroyed) answer.destroy(error);
      });
      sent.end(request.body);
    });
  }

  /** Closes every connection, idle or not. */
  close(): void {
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }

  #request(url: URL, request: OutgoingRequest, signal: AbortSignal): ClientRequest {
    const proxy = this.#routes.for(url);
    const secure = url.protocol === 'https:';
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port) || (secure ? 443 : 80);
    const path = `${url.pathname}${url.search}`;
    const common = { method: request.method, headers: request.headers };
    if (proxy === undefined || (proxy.protocol !== 'socks5:' && !secure)) {
      // Direct, or to an HTTP proxy in absolute form (RFC 9112 §3.2.2).
      const via = proxy ?? { protocol: url.protocol, host, port };
      const options: RequestOptions = {
        ...common,
        agent: this.#agent(via.protocol === 'https:' ? 'https' : 'http'),
        host: via.host,
        port: via.port,
        path: proxy === undefined ? path : `${url.protocol}//${url.host}${path}`,
      };
      if (proxy !== undefined) {
        options.headers = { ...request.headers, ...forwardHeaders(url, proxy) };
        // TLS to the proxy itself: its name, not the origin's in the Host header.
        options.servername = isIP(proxy.host) === 0 ? proxy.host : '';
      }
      return via.protocol === 'https:' ? https().request(options) : httpRequest(options);
    }
    const options = {
      ...common,
      agent: this.#tunnelAgent(proxy, secure),
      host,
      port,
      path,
      [tunnelSignal]: signal,
    };
    return secure ? https().request(options) : httpRequest(options);
  }

  /** The agent of a kind, made at its first use. */
  #agent(kind: 'http' | 'https'): HttpAgent {
    let agent = this.#agents.get(kind);
    if (agent === undefined) {
      agent = directAgent(kind === 'https', this.#options);
      this.#agents.set(kind, agent);
    }
    return agent;
  }

  #tunnelAgent(proxy: ProxyServer, secure: boolean): HttpAgent {
    const kind = secure ? 'tunnel-https' : 'tunnel-http';
    let agent = this.#agents.get(kind);
    if (agent === undefined) {
      agent = tunnelAgent(proxy, secure, this.#options);
      this.#agents.set(kind, agent);
    }
    return agent;
  }
}

/**
 * node:http's parser copies each piece of a body out of the socket's read:
 * once it has run over a read (in its own 'data' listener, which comes before
 * this one), the read's buffer, 64 KiB on a fast download, is garbage that
 * only a collection would free, and tens of MiB of them pile up between
 * collections (V8 sees the small Buffer objects, not the memory behind them).
 * Freed here at once instead, until the request is done.
 */
function freeReadsOnceParsed(request: ClientRequest, socket: Socket): void {
  const free = (read: Buffer) => releaseChunks([read]);
  socket.on('data', free);
  const stop = () => socket.off('data', free);
  request.once('close', stop).once('error', stop);
  request.once('response', (response: IncomingMessage) => response.once('end', stop));
}

/**
 * node:https and node:tls, loaded at their first use: a download over plain
 * HTTP never loads them (they cost a run about 8 ms and 4 MiB).
 */
function https() {
  return process.getBuiltinModule('node:https');
}

/** What a request in absolute form tells an HTTP proxy: the origin, and its credentials. */
function forwardHeaders(url: URL, proxy: ProxyServer): Record<string, string> {
  const { credentials } = proxy;
  return {
    host: url.host,
    ...(credentials === undefined
      ? {}
      : {
          'proxy-authorization': `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
        }),
  };
}

type Connector = (
  options: ClientRequestArgs,
  callback?: (error: Error | null, socket: Duplex) => void,
) => Duplex | null | undefined;

/**
 * How long an idle kept-alive connection waits for its next request before
 * the client closes it (undici's default, the client before): a server
 * closes idle connections too, and a request sent on one as it closes fails.
 * A server's `Keep-Alive: timeout=N` shortens it to N - 1 s; node:http
 * applies that hint only below an agent's `timeout`, and without one keeps
 * an idle connection for as long as the server does.
 */
const idleConnectionMs = 4_000;

/** An agent that keeps its connections alive, of http or https, with `connect` making them. */
function keepAliveAgent(secure: boolean, ca: string | undefined, connect: Connector): HttpAgent {
  // `timeout` also arms the idle timer of a connection in use: node:http only emits
  // 'timeout' on its request then, which nothing here listens to (the stall timer bounds it).
  const keepAlive = { keepAlive: true, timeout: idleConnectionMs };
  const agent = secure
    ? new (https().Agent)({ ...keepAlive, ...(ca === undefined ? {} : { ca }) })
    : new HttpAgent(keepAlive);
  agent.createConnection = connect;
  return agent;
}

/** Connects to the server (or to an HTTP proxy) as Node does, within the connect timeout. */
function directAgent(secure: boolean, options: HttpClientOptions): HttpAgent {
  let nodeConnect: Connector = () => undefined;
  const agent = keepAliveAgent(secure, options.ca, (request, callback) =>
    connectWithin(nodeConnect(request, callback) as Socket, options.connectTimeoutMs),
  );
  // Node's own: the https agent's reuses TLS sessions.
  nodeConnect = Object.getPrototypeOf(agent).createConnection.bind(agent);
  return agent;
}

/** Connects through a tunnel (CONNECT, SOCKS5), with TLS to the origin inside it for https. */
function tunnelAgent(proxy: ProxyServer, secure: boolean, options: HttpClientOptions): HttpAgent {
  const { connectTimeoutMs, stallTimeoutMs, ca } = options;
  const tunnel: TunnelOptions = { connectTimeoutMs, stallTimeoutMs, ca };
  return keepAliveAgent(secure, ca, (request, callback) => {
    const signal = (request as { [tunnelSignal]?: AbortSignal })[tunnelSignal];
    const target = { host: String(request.host), port: Number(request.port) };
    openTunnel(proxy, target, tunnel, signal).then(
      (socket) => {
        const { connect } = process.getBuiltinModule('node:tls');
        // TLS to the origin inside the tunnel, with the options Node would give it directly.
        callback?.(
          null,
          secure
            ? connectWithin(connect({ ...(request as object), socket }), connectTimeoutMs)
            : socket,
        );
      },
      (error: Error) => callback?.(error, undefined as unknown as Duplex),
    );
    return undefined;
  });
}
