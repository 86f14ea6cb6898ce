// The loader's HTTP client on Node's own http and https: proxies (an HTTP proxy in
// absolute form, CONNECT tunnels, SOCKS5), connections kept alive, and its timeouts
// and aborts at every point, against real servers and proxies on loopback.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpClientOptions } from '../../../src/download/http/http-client.ts';
import {
  getFollowingRedirects,
  type RequestContext,
  type Response,
} from '../../../src/download/http/request.ts';
import { unexpectedAnswerError } from '../../../src/download/http/unexpected-answer.ts';
import { FetchError } from '../../../src/errors.ts';
import { Redactor } from '../../../src/log/redact.ts';
import { testClient } from '../../helpers/http-client.ts';
import { serve } from '../../helpers/loopback-server.ts';
import { startProxy } from '../../helpers/proxy.ts';
import { startSocks5Proxy } from '../../helpers/socks5-proxy.ts';
import { makeTestPki, type TestPki } from '../../helpers/tls.ts';
import { randomBytesBuffer } from '../../helpers/tmp.ts';

let pki: TestPki;
before(async () => {
  pki = await makeTestPki();
});
after(() => pki?.cleanup());

const signal = () => AbortSignal.timeout(10_000);
const noProxy = { httpProxy: undefined, httpsProxy: undefined, noProxy: undefined };

/** A request context over a client with these options (the test CA trusted); closed on dispose. */
function contextWith(options: Partial<HttpClientOptions> = {}): RequestContext & Disposable {
  const client = testClient({ ca: pki.caCert, ...options });
  return {
    client,
    maxRedirects: 0,
    redactor: new Redactor(),
    [Symbol.dispose]: () => client.close(),
  };
}

async function text(response: Response): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

interface CountingServer extends AsyncDisposable {
  readonly origin: string;
  /** Connections accepted so far. */
  readonly connections: () => number;
}

/** An https server (the test PKI's certificate) answering with `handler`, counting its connections. */
async function serveTls(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<CountingServer> {
  let connections = 0;
  const server = createHttpsServer({ key: pki.key, cert: pki.cert }, handler);
  server.on('secureConnection', () => {
    connections += 1;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    [Symbol.asyncDispose]: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * A TCP server on loopback that never says anything (`respond` may answer the
 * first bytes it receives); it resolves `heard` with each connection's first bytes.
 */
async function rawServer(respond?: (socket: Socket) => void) {
  const sockets = new Set<Socket>();
  const heard = Promise.withResolvers<Socket>();
  const closed = Promise.withResolvers<void>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      closed.resolve();
    });
    socket.once('data', () => {
      heard.resolve(socket);
      respond?.(socket);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    /** The first connection's first bytes arrived. */
    heard: heard.promise,
    /** A connection was closed (by the client, as nothing here closes one). */
    closed: closed.promise,
    [Symbol.asyncDispose]: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const basic = (userinfo: string) => `Basic ${Buffer.from(userinfo).toString('base64')}`;

describe('HttpClient through an HTTP proxy', () => {
  it("an http URL goes to the proxy in absolute form, with the proxy's credentials as Proxy-Authorization", async () => {
    await using target = await serve((_request, response) => response.end('plain'));
    await using proxy = await startProxy();
    using context = contextWith({
      proxy: { ...noProxy, httpProxy: proxy.url.replace('//', '//ag%40ent:s3c%3Aret@') },
    });
    const response = await getFollowingRedirects(context, target.url(), {}, signal());
    assert.equal(await text(response), 'plain');
    assert.deepEqual(proxy.requests, [
      { method: 'GET', target: target.url().href, proxyAuthorization: basic('ag@ent:s3c:ret') },
    ]);
  });

  it('an https URL goes through a CONNECT tunnel, the credentials on the CONNECT, TLS to the origin inside', async () => {
    await using target = await serveTls((_request, response) => response.end('secure'));
    await using proxy = await startProxy();
    using context = contextWith({
      proxy: { ...noProxy, httpsProxy: proxy.url.replace('//', '//agent:secret@') },
    });
    const response = await getFollowingRedirects(
      context,
      new URL(`${target.origin}/app.jar`),
      {},
      signal(),
    );
    assert.equal(await text(response), 'secure');
    assert.deepEqual(proxy.requests, [
      {
        method: 'CONNECT',
        target: new URL(target.origin).host,
        proxyAuthorization: basic('agent:secret'),
      },
    ]);
  });

  it('keeps the tunnel alive: a second request to the origin goes through the same CONNECT', async () => {
    await using target = await serveTls((_request, response) => response.end('again'));
    await using proxy = await startProxy();
    using context = contextWith({ proxy: { ...noProxy, httpsProxy: proxy.url } });
    for (const path of ['/one', '/two']) {
      const url = new URL(`${target.origin}${path}`);
      assert.equal(await text(await getFollowingRedirects(context, url, {}, signal())), 'again');
    }
    assert.equal(proxy.requests.length, 1, 'one CONNECT');
    assert.equal(target.connections(), 1);
  });

  it('a proxy that refuses the tunnel fails the request naming its status; a 502 is worth another attempt', async () => {
    for (const [status, transient] of [
      [407, false],
      [502, true],
    ] as const) {
      await using refusing = await rawServer((socket) =>
        socket.end(`HTTP/1.1 ${status} Refused For Reasons\r\ncontent-length: 0\r\n\r\n`),
      );
      using context = contextWith({
        proxy: { ...noProxy, httpsProxy: `http://127.0.0.1:${refusing.port}` },
      });
      await assert.rejects(
        getFollowingRedirects(context, new URL('https://127.0.0.1:1/app.jar'), {}, signal()),
        (error: unknown) => {
          assert.ok(error instanceof FetchError);
          assert.equal(error.transient, transient, String(status));
          assert.equal(error.details.errorCode, 'PROXY_REFUSED');
          assert.equal(error.details.proxyStatus, status);
          const note =
            status === 407
              ? " (the proxy asks for a user name and password, and those in the proxy's URL are missing or not accepted)"
              : '';
          assert.equal(
            error.message,
            `request to https://127.0.0.1:1/app.jar failed: the proxy refused the tunnel to 127.0.0.1:1: it answered CONNECT with ${status}${note} (PROXY_REFUSED)`,
          );
          return true;
        },
      );
    }
  });

  it("a proxy's 407 to an http URL's request is its 407 to a CONNECT: exit 4, not retried, and echoes nothing", async () => {
    await using refusing = await serve((_request, response) =>
      response
        .writeHead(407, 'Login at s3cret-portal', { 'proxy-authenticate': 'Basic realm="proxy"' })
        .end('proxy page'),
    );
    using context = contextWith({
      proxy: { ...noProxy, httpProxy: refusing.origin.replace('//', '//agent:s3cret@') },
    });
    const response = await getFollowingRedirects(
      context,
      new URL('http://127.0.0.1:1/app.jar'),
      {},
      signal(),
    );
    const error = await unexpectedAnswerError(response, 200, context.redactor, undefined);
    assert.ok(error instanceof FetchError);
    assert.equal(error.exitCode, 4);
    assert.equal(error.transient, false);
    assert.deepEqual(error.details, { errorCode: 'PROXY_REFUSED', proxyStatus: 407 });
    assert.equal(
      error.message,
      "request to http://127.0.0.1:1/app.jar failed: the proxy refused the request: it answered 407 (the proxy asks for a user name and password, and those in the proxy's URL are missing or not accepted) (PROXY_REFUSED)",
    );
  });

  it('a proxy that never answers the CONNECT is cut by the stall timeout', async () => {
    await using silent = await rawServer();
    using context = contextWith({
      stallTimeoutMs: 100,
      proxy: { ...noProxy, httpsProxy: `http://127.0.0.1:${silent.port}` },
    });
    await assert.rejects(
      getFollowingRedirects(context, new URL('https://127.0.0.1:1/app.jar'), {}, signal()),
      (error: unknown) => {
        assert.ok(error instanceof FetchError);
        assert.equal(error.transient, true);
        assert.equal(error.details.errorCode, 'HEADERS_TIMEOUT');
        return true;
      },
    );
  });

  it('an abort while the tunnel is being opened ends the request at once, and the connection to the proxy', async () => {
    await using silent = await rawServer();
    // A stall timeout far beyond the test's: only the abort can end it.
    using context = contextWith({
      stallTimeoutMs: 60_000,
      proxy: { ...noProxy, httpsProxy: `http://127.0.0.1:${silent.port}` },
    });
    const controller = new AbortController();
    const reason = new Error('stopped by the test');
    const pending = getFollowingRedirects(
      context,
      new URL('https://127.0.0.1:1/app.jar'),
      {},
      controller.signal,
    );
    const connectRequest = await silent.heard;
    assert.ok(connectRequest.bytesRead > 0, 'the CONNECT reached the proxy');
    controller.abort(reason);
    await assert.rejects(pending, (error: unknown) => error === reason);
    // A loose upper bound: without the abort, the tunnel would wait out the stall timeout.
    const late = sleep(5_000, 'still open', { ref: false });
    assert.equal(await Promise.race([silent.closed.then(() => 'closed'), late]), 'closed');
  });
});

describe('HttpClient through a SOCKS5 proxy', () => {
  it('an http and an https URL go through it, with its user name and password', async () => {
    await using plain = await serve((_request, response) => response.end('plain'));
    await using secure = await serveTls((_request, response) => response.end('secure'));
    await using socks = await startSocks5Proxy({
      credentials: { username: 'agent', password: 's3c:ret' },
    });
    using context = contextWith({
      proxy: { ...noProxy, httpProxy: socks.url, httpsProxy: socks.url },
    });
    const viaPlain = await getFollowingRedirects(context, plain.url(), {}, signal());
    assert.equal(await text(viaPlain), 'plain');
    const secureUrl = new URL(`${secure.origin}/app.jar`);
    assert.equal(
      await text(await getFollowingRedirects(context, secureUrl, {}, signal())),
      'secure',
    );
    assert.deepEqual(socks.requests, [
      { target: new URL(plain.origin).host, username: 'agent' },
      { target: new URL(secure.origin).host, username: 'agent' },
    ]);
  });

  it("bytes that come in the same read as the proxy's reply reach node:http's parser, none lost", async () => {
    // The target never answers: what the client reads is what came along with the reply.
    await using silent = await rawServer();
    await using socks = await startSocks5Proxy({
      alongReply: 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nearly',
    });
    using context = contextWith({
      stallTimeoutMs: 2_000,
      proxy: { ...noProxy, httpProxy: socks.url },
    });
    const url = new URL(`http://127.0.0.1:${silent.port}/app.jar`);
    assert.equal(await text(await getFollowingRedirects(context, url, {}, signal())), 'early');
  });

  it('a SOCKS5 proxy that refuses the connection fails the request naming its reply', async () => {
    await using socks = await startSocks5Proxy({ refuseWith: 5 });
    using context = contextWith({ proxy: { ...noProxy, httpProxy: socks.url } });
    await assert.rejects(
      getFollowingRedirects(context, new URL('http://127.0.0.1:1/app.jar'), {}, signal()),
      (error: unknown) => {
        assert.ok(error instanceof FetchError);
        assert.equal(error.transient, false);
        assert.equal(error.details.errorCode, 'PROXY_REFUSED');
        assert.match(error.message, /connection refused \(SOCKS5 reply 5\)/);
        return true;
      },
    );
  });
});

describe('HttpClient connections and timeouts', () => {
  it('requests at once get a connection each, so parts never wait for one another', async () => {
    const waiting: ServerResponse[] = [];
    await using server = await serve((_request, response) => {
      waiting.push(response);
      // Answered only once all four are in: a client with fewer connections would never get here.
      if (waiting.length === 4) for (const held of waiting) held.end('part');
    });
    using context = contextWith();
    const answers = await Promise.all(
      [1, 2, 3, 4].map(async (part) =>
        text(await getFollowingRedirects(context, server.url(`/${part}`), {}, signal())),
      ),
    );
    assert.deepEqual(answers, ['part', 'part', 'part', 'part']);
  });

  it('the connect timeout bounds the TLS handshake too', async () => {
    // Accepts the connection, never speaks TLS.
    await using mute = await rawServer();
    using context = contextWith({ connectTimeoutMs: 100, stallTimeoutMs: 60_000 });
    await assert.rejects(
      getFollowingRedirects(context, new URL(`https://127.0.0.1:${mute.port}/`), {}, signal()),
      (error: unknown) => {
        assert.ok(error instanceof FetchError);
        assert.equal(error.transient, true);
        assert.equal(error.details.errorCode, 'CONNECT_TIMEOUT');
        assert.match(error.message, /connect timeout \(LOADER_CONNECT_TIMEOUT_SECONDS\)/);
        return true;
      },
    );
  });

  it('the stall timeout does not run while the reader holds the body back (a slow disk is not a silent server)', async () => {
    const body = randomBytesBuffer(16 * 1024 * 1024);
    await using server = await serve((_request, response) => {
      response.writeHead(200, { 'content-length': body.length });
      response.end(body);
    });
    // Not shorter: a loaded machine (the whole suite on two cores) can leave a loopback
    // socket silent for a hundred milliseconds, and the test would time out on that.
    using context = contextWith({ stallTimeoutMs: 500 });
    const response = await getFollowingRedirects(context, server.url(), {}, signal());
    const chunks: Buffer[] = [];
    let held = false;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      if (!held) {
        held = true;
        // Time is the subject: the body is held back for three stall timeouts, its buffers full.
        await sleep(1500);
      }
    }
    assert.ok(Buffer.concat(chunks).equals(body));
  });

  it("frees each socket read as soon as node:http's parser has copied the body out of it", async () => {
    const body = randomBytesBuffer(4 * 1024 * 1024);
    await using server = await serve((_request, response) => {
      response.writeHead(200, { 'content-length': body.length });
      response.end(body);
    });
    // Every read of the request's socket, looked at once all of its 'data' listeners have run.
    const readsAfterward: number[] = [];
    const watch = ({ request }: { request: ClientRequest }) =>
      request.once('socket', (socket: Socket) =>
        socket.on('data', (read: Buffer) =>
          queueMicrotask(() => readsAfterward.push(read.byteLength)),
        ),
      );
    subscribe('http.client.request.created', watch as (message: unknown) => void);
    try {
      using context = contextWith();
      const response = await getFollowingRedirects(context, server.url(), {}, signal());
      const chunks: Buffer[] = [];
      for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(chunk);
      assert.ok(
        Buffer.concat(chunks).equals(body),
        'whole: copied out before its reads were freed',
      );
    } finally {
      unsubscribe('http.client.request.created', watch as (message: unknown) => void);
    }
    assert.ok(readsAfterward.length > 10, `${readsAfterward.length} reads`);
    assert.deepEqual(
      readsAfterward.filter((bytes) => bytes > 0),
      [],
      'every read is empty once the parser is through with it',
    );
  });

  it('a body read to its end frees its connection for the next request to the origin', async () => {
    await using server = await serve((_request, response) => response.end('ok'));
    using context = contextWith();
    const first = await getFollowingRedirects(context, server.url('/1'), {}, signal());
    const { socket } = first.body;
    assert.equal(await text(first), 'ok');
    const second = await getFollowingRedirects(context, server.url('/2'), {}, signal());
    assert.equal(second.body.socket, socket, 'the same connection');
    assert.equal(await text(second), 'ok');
  });

  it("closes an idle connection before the server's Keep-Alive timeout, so no request is sent on one the server is closing", async () => {
    // The server would keep the connection for a minute; it announces 2 s, so the client closes it after 1 s.
    await using server = await rawServer((socket) =>
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nkeep-alive: timeout=2\r\n\r\nok'),
    );
    using context = contextWith();
    const url = new URL(`http://127.0.0.1:${server.port}/`);
    assert.equal(await text(await getFollowingRedirects(context, url, {}, signal())), 'ok');
    // A loose upper bound: without the client's idle timeout, the connection stays open.
    const late = sleep(5_000, 'still open', { ref: false });
    assert.equal(await Promise.race([server.closed.then(() => 'closed'), late]), 'closed');
  });

  it("response headers beyond the parser's limit fail without retry, saying so and how to raise it", async () => {
    // A presigned redirect whose Location alone is over the 16 KiB node:http takes.
    const location = `/b?X-Amz-Security-Token=${'t'.repeat(20 * 1024)}`;
    await using server = await serve((_request, response) =>
      response.writeHead(302, { location }).end(),
    );
    using context = contextWith();
    await assert.rejects(
      getFollowingRedirects({ ...context, maxRedirects: 1 }, server.url('/a'), {}, signal()),
      (error: unknown) => {
        assert.ok(error instanceof FetchError);
        assert.equal(error.transient, false);
        assert.equal(error.details.errorCode, 'HEADERS_TOO_LARGE');
        assert.match(error.message, /sent response headers larger than the 16 KiB/);
        assert.match(error.message, /NODE_OPTIONS=--max-http-header-size=BYTES/);
        return true;
      },
    );
  });

  it('a certificate from a CA it does not trust fails without retry, naming the fix', async () => {
    await using target = await serveTls((_request, response) => response.end('never'));
    using client = testClient();
    const context = { client, maxRedirects: 0, redactor: new Redactor() };
    await assert.rejects(
      getFollowingRedirects(context, new URL(`${target.origin}/`), {}, signal()),
      (error: unknown) => {
        assert.ok(error instanceof FetchError);
        assert.equal(error.transient, false);
        assert.match(error.message, /point NODE_EXTRA_CA_CERTS at its PEM file/);
        return true;
      },
    );
  });
});
