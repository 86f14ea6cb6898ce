import { connect as connectTcp, isIP, isIPv6, type Socket } from 'node:net';
import { proxyCredentialsNote } from './classify.ts';
import { connectWithin, whenReady } from './connection.ts';
import { ProxyConversation } from './proxy-conversation.ts';
import type { ProxyServer } from './proxy-route.ts';
import { socks5Handshake } from './socks5.ts';
import { TransportError } from './transport-error.ts';

/** Where a tunnel leads: the origin's host (an IPv6 address without brackets) and port. */
export interface TunnelTarget {
  readonly host: string;
  readonly port: number;
}

export interface TunnelOptions {
  readonly connectTimeoutMs: number;
  /** Silence allowed while waiting for the proxy's answers. */
  readonly stallTimeoutMs: number;
  /** CA certificates for an https proxy, instead of Node's store (tests). */
  readonly ca: string | undefined;
}

/**
 * A connection to `target` through `proxy`: a CONNECT tunnel (RFC 9110
 * §9.3.6) through an HTTP(S) proxy, or a SOCKS5 one. Connecting to the proxy
 * is bounded by the connect timeout, each wait for its answer by the stall
 * timeout; an abort of `signal` ends it at once with the signal's reason.
 * What runs over it (TLS to the origin, or plain HTTP) is the caller's.
 */
export function openTunnel(
  proxy: ProxyServer,
  target: TunnelTarget,
  options: TunnelOptions,
  signal: AbortSignal | undefined,
): Promise<Socket> {
  const socket = connectWithin(
    proxy.protocol === 'https:'
      ? process.getBuiltinModule('node:tls').connect({
          host: proxy.host,
          port: proxy.port,
          ...serverName(proxy.host),
          ...ca(options),
        })
      : connectTcp({ host: proxy.host, port: proxy.port }),
    options.connectTimeoutMs,
  );
  const talk = new ProxyConversation(socket, options.stallTimeoutMs, signal);
  return new Promise<void>((resolve, reject) => {
    talk.failed.catch(reject);
    whenReady(socket, resolve);
  })
    .then(() =>
      proxy.protocol === 'socks5:'
        ? socks5Handshake(talk, proxy, target)
        : connectHandshake(talk, proxy, target),
    )
    .then(
      () => talk.handOver(),
      (error: unknown) => {
        talk.close();
        throw error;
      },
    );
}

/** The CONNECT request, and the proxy's answer: a 2xx opens the tunnel. */
async function connectHandshake(
  talk: ProxyConversation,
  proxy: ProxyServer,
  target: TunnelTarget,
): Promise<void> {
  const authority = `${isIPv6(target.host) ? `[${target.host}]` : target.host}:${target.port}`;
  const authorization =
    proxy.credentials === undefined
      ? ''
      : `proxy-authorization: Basic ${Buffer.from(`${proxy.credentials.username}:${proxy.credentials.password}`).toString('base64')}\r\n`;
  talk.write(`CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n${authorization}\r\n`);
  const head = await talk.read((buffered) => {
    const end = buffered.indexOf('\r\n\r\n');
    if (end !== -1) return end + 4;
    if (buffered.length > maxProxyHeadBytes) throw invalidAnswer('CONNECT answer too long');
    return undefined;
  });
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.toString('latin1'))?.[1];
  if (status === undefined) throw invalidAnswer('not an HTTP answer to CONNECT');
  if (!status.startsWith('2')) {
    // The reason phrase is the proxy's text: only the status is told.
    throw new TransportError(
      'PROXY_REFUSED',
      `the proxy refused the tunnel to ${authority}: it answered CONNECT with ${status}${status === '407' ? ` (${proxyCredentialsNote})` : ''}`,
      Number(status),
    );
  }
}

/** A proxy's answer to CONNECT is a status line and a few headers; more is not one. */
const maxProxyHeadBytes = 16 * 1024;

function invalidAnswer(what: string): TransportError {
  return new TransportError('PROXY_INVALID_ANSWER', `the proxy sent an invalid answer: ${what}`);
}

function serverName(host: string): { servername?: string } {
  // An address is no server name (RFC 6066 §3): none is sent, the certificate is checked against it.
  return isIP(host) === 0 ? { servername: host } : {};
}

function ca(options: TunnelOptions): { ca?: string } {
  return options.ca === undefined ? {} : { ca: options.ca };
}
