import {
  type ClientRequest,
  type ClientRequestArgs,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as connectTls } from 'node:tls';
import type { ProxySettings } from '../../config/types.ts';
import { connectWithin } from './connection.ts';
import { ProxyRoutes, type ProxyServer } from './proxy-route.ts';
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
    const https = url.protocol === 'https:';
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port) || (https ? 443 : 80);
    const path = `${url.pathname}${url.search}`;
    const common = { method: request.method, headers: request.headers };
    if (proxy === undefined || (proxy.protocol !== 'socks5:' && !https)) {
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
      return via.protocol === 'https:' ? httpsRequest(options) : httpRequest(options);
    }
    const options = {
      ...common,
      agent: this.#tunnelAgent(proxy, https),
      host,
      port,
      path,
      [tunnelSignal]: signal,
    };
    return https ? httpsRequest(options) : httpRequest(options);
  }

  /** The agent of a kind, made at its first use. */
  #agent(kind: 'http' | 'https'): HttpAgent {
    let agent = this.#agents.get(kind);
    if (agent === undefined) {
      agent =
        kind === 'https'
          ? new DirectHttpsAgent(this.#options.connectTimeoutMs, this.#options.ca)
          : new DirectHttpAgent(this.#options.connectTimeoutMs);
      this.#agents.set(kind, agent);
    }
    return agent;
  }

  #tunnelAgent(proxy: ProxyServer, https: boolean): HttpAgent {
    const kind = https ? 'tunnel-https' : 'tunnel-http';
    let agent = this.#agents.get(kind);
    if (agent === undefined) {
      const { connectTimeoutMs, stallTimeoutMs, ca } = this.#options;
      const tunnel = { connectTimeoutMs, stallTimeoutMs, ca };
      agent = https ? new TunnelHttpsAgent(proxy, tunnel) : new TunnelHttpAgent(proxy, tunnel);
      this.#agents.set(kind, agent);
    }
    return agent;
  }
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

class DirectHttpAgent extends HttpAgent {
  readonly #connectTimeoutMs: number;

  constructor(connectTimeoutMs: number) {
    super({ keepAlive: true });
    this.#connectTimeoutMs = connectTimeoutMs;
  }

  override createConnection(
    options: ClientRequestArgs,
    callback?: (error: Error | null, socket: Duplex) => void,
  ): Duplex | null | undefined {
    return connectWithin(
      super.createConnection(options, callback) as Socket,
      this.#connectTimeoutMs,
    );
  }
}

class DirectHttpsAgent extends HttpsAgent {
  readonly #connectTimeoutMs: number;

  constructor(connectTimeoutMs: number, ca: string | undefined) {
    super({ keepAlive: true, ...(ca === undefined ? {} : { ca }) });
    this.#connectTimeoutMs = connectTimeoutMs;
  }

  override createConnection(
    options: ClientRequestArgs,
    callback?: (error: Error | null, socket: Duplex) => void,
  ): Duplex | null | undefined {
    return connectWithin(
      super.createConnection(options, callback) as Socket,
      this.#connectTimeoutMs,
    );
  }
}

/** The tunnel for one request: opened through the proxy, then handed to the agent. */
function tunnelled(
  proxy: ProxyServer,
  tunnel: TunnelOptions,
  options: ClientRequestArgs,
  callback: ((error: Error | null, socket: Duplex) => void) | undefined,
  over: (socket: Socket) => Socket,
): undefined {
  const signal = (options as { [tunnelSignal]?: AbortSignal })[tunnelSignal];
  const target = { host: String(options.host), port: Number(options.port) };
  openTunnel(proxy, target, tunnel, signal).then(
    (socket) => callback?.(null, over(socket)),
    (error: Error) => callback?.(error, undefined as unknown as Duplex),
  );
  return undefined;
}

class TunnelHttpAgent extends HttpAgent {
  readonly #proxy: ProxyServer;
  readonly #tunnel: TunnelOptions;

  constructor(proxy: ProxyServer, tunnel: TunnelOptions) {
    super({ keepAlive: true });
    this.#proxy = proxy;
    this.#tunnel = tunnel;
  }

  override createConnection(
    options: ClientRequestArgs,
    callback?: (error: Error | null, socket: Duplex) => void,
  ): undefined {
    return tunnelled(this.#proxy, this.#tunnel, options, callback, (socket) => socket);
  }
}

class TunnelHttpsAgent extends HttpsAgent {
  readonly #proxy: ProxyServer;
  readonly #tunnel: TunnelOptions;

  constructor(proxy: ProxyServer, tunnel: TunnelOptions) {
    super({ keepAlive: true, ...(tunnel.ca === undefined ? {} : { ca: tunnel.ca }) });
    this.#proxy = proxy;
    this.#tunnel = tunnel;
  }

  override createConnection(
    options: ClientRequestArgs,
    callback?: (error: Error | null, socket: Duplex) => void,
  ): undefined {
    return tunnelled(this.#proxy, this.#tunnel, options, callback, (socket) =>
      // TLS to the origin inside the tunnel, with the options Node would give it directly.
      connectWithin(connectTls({ ...(options as object), socket }), this.#tunnel.connectTimeoutMs),
    );
  }
}
