import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import {
  artifactHeaders,
  discardBody,
  getFollowingRedirects,
  type RequestContext,
  type Response,
  requestFollowingRedirects,
} from '../../../src/download/http/request.ts';
import { FetchError } from '../../../src/errors.ts';
import { Redactor } from '../../../src/log/redact.ts';
import { testClient } from '../../helpers/http-client.ts';
import { type LoopbackServer, serve } from '../../helpers/loopback-server.ts';
import { makeTestPki } from '../../helpers/tls.ts';

const signal = () => AbortSignal.timeout(10_000);

function requestContext(
  options: { maxRedirects?: number; stallTimeoutMs?: number } = {},
): RequestContext & Disposable {
  const client = testClient({ stallTimeoutMs: options.stallTimeoutMs ?? 2_000 });
  return {
    client,
    maxRedirects: options.maxRedirects ?? 5,
    redactor: new Redactor(),
    [Symbol.dispose]: () => client.close(),
  };
}

/** A server that redirects `/hop/N` to `/hop/N-1` and answers `/hop/0` with 200 "here". */
function hops(server: () => LoopbackServer, status = 307) {
  return serve((request, response) => {
    const hop = /^\/hop\/(\d+)/.exec(request.url ?? '');
    const left = Number(hop?.[1] ?? 0);
    if (left === 0) {
      response.writeHead(200, { 'content-length': 4 });
      response.end('here');
      return;
    }
    response.writeHead(status, { location: `${server().origin}/hop/${left - 1}` });
    response.end();
  });
}

async function text(response: Response): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

describe('getFollowingRedirects', () => {
  it('returns an answer that is not a redirect as it came, with the URL it came from', async () => {
    await using server = await serve((_request, response) => {
      response.writeHead(404, 'Nope', { 'x-why': 'missing' });
      response.end('gone');
    });
    await using context = requestContext();
    const response = await getFollowingRedirects(
      context,
      server.url(),
      artifactHeaders('ua/1'),
      signal(),
    );
    assert.equal(response.status, 404);
    assert.equal(response.statusText, 'Nope');
    assert.equal(response.headers['x-why'], 'missing');
    assert.equal(response.url.href, server.url().href);
    assert.equal(await text(response), 'gone');
    assert.equal(server.headers[0]?.['accept-encoding'], 'identity');
    assert.equal(server.headers[0]?.['user-agent'], 'ua/1');
  });

  for (const status of [301, 302, 303, 307, 308]) {
    it(`follows a ${status} to where it points, hop by hop`, async () => {
      let server: LoopbackServer | undefined;
      server = await hops(() => server as LoopbackServer, status);
      await using _server = server;
      await using context = requestContext();
      const response = await getFollowingRedirects(context, server.url('/hop/2'), {}, signal());
      assert.equal(response.status, 200);
      assert.equal(await text(response), 'here');
      assert.equal(response.url.href, `${server.origin}/hop/0`);
      assert.deepEqual(server.paths, ['/hop/2', '/hop/1', '/hop/0']);
    });
  }

  it('does not follow other 3xx, nor a redirect without a Location', async () => {
    let answer = { status: 300, location: '/elsewhere' as string | undefined };
    await using server = await serve((_request, response) => {
      response.writeHead(
        answer.status,
        answer.location === undefined ? {} : { location: answer.location },
      );
      response.end();
    });
    await using context = requestContext();
    for (const next of [
      { status: 300, location: '/elsewhere' },
      { status: 304, location: '/elsewhere' },
      { status: 302, location: undefined },
    ]) {
      answer = next;
      const response = await getFollowingRedirects(context, server.url(), {}, signal());
      discardBody(response.body);
      assert.equal(response.status, next.status);
      assert.equal(response.url.href, server.url().href);
    }
    assert.deepEqual(server.paths, ['/app.jar', '/app.jar', '/app.jar']);
  });

  it('resolves a relative Location against the URL that sent it', async () => {
    await using server = await serve((request, response) => {
      if (request.url === '/a/b/app.jar') {
        response.writeHead(302, { location: '../c/app.jar?v=2' });
        response.end();
        return;
      }
      response.writeHead(200, { 'content-length': 2 });
      response.end('ok');
    });
    await using context = requestContext();
    const response = await getFollowingRedirects(context, server.url('/a/b/app.jar'), {}, signal());
    assert.equal(await text(response), 'ok');
    assert.equal(response.url.href, `${server.origin}/a/c/app.jar?v=2`);
    assert.deepEqual(server.paths, ['/a/b/app.jar', '/a/c/app.jar?v=2']);
  });

  it('follows at most maxRedirects: exactly that many is fine, one more is a redirect loop', async () => {
    let server: LoopbackServer | undefined;
    server = await hops(() => server as LoopbackServer);
    await using _server = server;
    await using context = requestContext({ maxRedirects: 2 });
    const response = await getFollowingRedirects(context, server.url('/hop/2'), {}, signal());
    assert.equal(await text(response), 'here');
    await assert.rejects(
      getFollowingRedirects(context, server.url('/hop/3'), {}, signal()),
      (error: unknown) => {
        assert.ok(error instanceof FetchError);
        assert.equal(error.transient, false);
        // Where the request started and how many hops it took, not the last hop followed.
        assert.equal(
          error.message,
          `too many redirects: gave up after 2 redirects starting from ${server?.origin}/hop/3 (a redirect loop?)`,
        );
        assert.equal(error.details.redirects, 2);
        return true;
      },
    );
    assert.deepEqual(server.paths.slice(3), ['/hop/3', '/hop/2', '/hop/1']);
  });

  it('with maxRedirects 0 the first redirect is refused', async () => {
    let server: LoopbackServer | undefined;
    server = await hops(() => server as LoopbackServer);
    await using _server = server;
    await using context = requestContext({ maxRedirects: 0 });
    await assert.rejects(
      getFollowingRedirects(context, server.url('/hop/1'), {}, signal()),
      /^FetchError: too many redirects: gave up after 0 redirects starting from http:\/\/127\.0\.0\.1:[0-9]+\/hop\/1 /,
    );
  });

  it('refuses a Location that does not parse', async () => {
    await using server = await serve((_request, response) => {
      response.writeHead(307, { location: 'http://[::1' });
      response.end();
    });
    await using context = requestContext();
    await assert.rejects(
      getFollowingRedirects(context, server.url(), {}, signal()),
      (error: unknown) => {
        assert.ok(error instanceof FetchError);
        assert.equal(
          error.message,
          `server at ${server.origin}/app.jar redirected to an invalid Location`,
        );
        return true;
      },
    );
  });

  it('refuses a redirect to another scheme, named only when short', async () => {
    let location = 'ftp://files.example/app.jar';
    await using server = await serve((_request, response) => {
      response.writeHead(302, { location });
      response.end();
    });
    await using context = requestContext();
    await assert.rejects(
      getFollowingRedirects(context, server.url(), {}, signal()),
      (error: unknown) =>
        error instanceof FetchError &&
        error.message === `refused a redirect from ${server.origin}/app.jar to the scheme ftp:`,
    );
    location = 'averyveryverylongscheme:whatever';
    await assert.rejects(
      getFollowingRedirects(context, server.url(), {}, signal()),
      (error: unknown) =>
        error instanceof FetchError &&
        error.message ===
          `refused a redirect from ${server.origin}/app.jar to a scheme other than http(s)`,
    );
    assert.equal(server.paths.length, 2);
  });

  it('refuses a redirect from https to http before asking the http URL', async () => {
    await using pki = await makeTestPki();
    await using plain = await serve((_request, response) => response.end('never'));
    const tls = createHttpsServer({ key: pki.key, cert: pki.cert }, (_request, response) => {
      response.writeHead(302, { location: `${plain.origin}/app.jar?X-Amz-Signature=HOPSECRET` });
      response.end();
    });
    tls.listen(0, '127.0.0.1');
    await once(tls, 'listening');
    const origin = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
    // The run's client trusts Node's CA store; this one trusts the test CA.
    const client = testClient({ ca: pki.caCert });
    const context: RequestContext = { client, maxRedirects: 5, redactor: new Redactor() };
    try {
      await assert.rejects(
        getFollowingRedirects(context, new URL(`${origin}/app.jar`), {}, signal()),
        (error: unknown) =>
          error instanceof FetchError &&
          error.message ===
            `refused a redirect from https to http (${origin}/app.jar -> ${plain.origin}/app.jar): it would expose the download`,
      );
      assert.deepEqual(plain.paths, []);
    } finally {
      tls.closeAllConnections();
      await new Promise((resolve) => tls.close(resolve));
      client.close();
    }
  });

  it('registers every redirect target with the redactor before anything can log it', async () => {
    await using server = await serve((request, response) => {
      if (request.url === '/app.jar') {
        response.writeHead(302, { location: '/next.jar?X-Amz-Signature=HOPSECRET1234' });
        response.end();
        return;
      }
      response.end('ok');
    });
    await using context = requestContext();
    const line = 'the token HOPSECRET1234 must not show';
    assert.equal(context.redactor.scrub(line), line);
    const response = await getFollowingRedirects(context, server.url(), {}, signal());
    discardBody(response.body);
    assert.doesNotMatch(context.redactor.scrub(line), /HOPSECRET1234/);
  });

  it('sends the URL’s credentials to its own origin only; the other headers go to every hop', async () => {
    await using other = await serve((_request, response) => {
      response.writeHead(307, { location: `${origin}/back.jar` });
      response.end();
    });
    let origin = '';
    await using server = await serve((request, response) => {
      if (request.url === '/app.jar') {
        response.writeHead(302, { location: `${other.origin}/elsewhere.jar` });
        response.end();
        return;
      }
      response.end('ok');
    });
    origin = server.origin;
    await using context = requestContext();
    const url = new URL(`http://us%40er:p%3Ass@127.0.0.1:${new URL(server.origin).port}/app.jar`);
    const headers = { ...artifactHeaders('ua/2'), range: 'bytes=0-9' };
    const response = await getFollowingRedirects(context, url, headers, signal());
    assert.equal(await text(response), 'ok');
    const basic = `Basic ${Buffer.from('us@er:p:ss').toString('base64')}`;
    assert.deepEqual(
      [server.headers[0], other.headers[0], server.headers[1]].map((sent) => sent?.authorization),
      [basic, undefined, basic],
    );
    for (const sent of [server.headers[0], other.headers[0], server.headers[1]]) {
      assert.equal(sent?.range, 'bytes=0-9');
      assert.equal(sent?.['user-agent'], 'ua/2');
      assert.equal(sent?.['accept-encoding'], 'identity');
    }
  });

  it('a refused connection is a transient fetch error naming the code', async () => {
    let port = 0;
    {
      await using gone = await serve(() => {});
      port = Number(new URL(gone.origin).port);
    }
    await using context = requestContext();
    await assert.rejects(
      getFollowingRedirects(
        context,
        new URL(`http://127.0.0.1:${port}/app.jar?sig=SECRETSIG`),
        {},
        signal(),
      ),
      (error: unknown) => {
        assert.ok(error instanceof FetchError);
        assert.equal(error.transient, true);
        assert.equal(error.details.errorCode, 'ECONNREFUSED');
        assert.match(
          error.message,
          new RegExp(`^request to http://127\\.0\\.0\\.1:${port}/app\\.jar failed: `),
        );
        return true;
      },
    );
  });

  it('no headers within the stall timeout is a transient fetch error', async () => {
    await using server = await serve(() => {});
    await using context = requestContext({ stallTimeoutMs: 100 });
    await assert.rejects(
      getFollowingRedirects(context, server.url(), {}, signal()),
      (error: unknown) => {
        assert.ok(error instanceof FetchError);
        assert.equal(error.transient, true);
        assert.equal(error.details.errorCode, 'HEADERS_TIMEOUT');
        return true;
      },
    );
  });

  it('an abort while waiting for the answer is thrown with its reason at once', async () => {
    await using server = await serve(() => {});
    await using context = requestContext();
    const controller = new AbortController();
    const reason = new Error('stopped by the test');
    const pending = getFollowingRedirects(context, server.url(), {}, controller.signal);
    setTimeout(() => controller.abort(reason), 20);
    await assert.rejects(pending, (error: unknown) => error === reason);
  });
});

describe('requestFollowingRedirects', () => {
  it("sends a registry's Authorization to its own origin only: never to the storage it redirects to", async () => {
    await using storage = await serve((_request, response) => response.end('blob'));
    await using registry = await serve((_request, response) => {
      response.writeHead(307, { location: `${storage.origin}/blob?X-Amz-Signature=s3cr3tsig` });
      response.end();
    });
    await using context = requestContext();
    const response = await requestFollowingRedirects(
      context,
      registry.url('/v2/team/app/blobs/sha256:0'),
      artifactHeaders('ua/3'),
      signal(),
      { authorization: 'Bearer registry-token' },
    );
    assert.equal(await text(response), 'blob');
    assert.equal(registry.headers[0]?.authorization, 'Bearer registry-token');
    assert.equal(storage.headers[0]?.authorization, undefined);
    assert.equal(storage.headers[0]?.['user-agent'], 'ua/3');
    assert.equal(context.redactor.scrub('s3cr3tsig'), '[redacted]');
  });

  it('HEAD: follows redirects as HEAD and answers without a body', async () => {
    const methods: string[] = [];
    await using server = await serve((request, response) => {
      methods.push(`${request.method} ${request.url}`);
      if (request.url === '/first') {
        response.writeHead(301, { location: '/second' });
        response.end();
        return;
      }
      response.writeHead(200, { 'docker-content-digest': 'sha256:abc', 'content-length': 10 });
      response.end();
    });
    await using context = requestContext();
    const response = await requestFollowingRedirects(context, server.url('/first'), {}, signal(), {
      method: 'HEAD',
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers['docker-content-digest'], 'sha256:abc');
    assert.equal(await text(response), '');
    assert.deepEqual(methods, ['HEAD /first', 'HEAD /second']);
  });

  it('POST: sends the body, and hands a redirect back instead of following it', async () => {
    const received: string[] = [];
    await using server = await serve((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push(`${request.method} ${body}`);
        response.writeHead(307, { location: '/elsewhere' });
        response.end();
      });
    });
    await using context = requestContext();
    const response = await requestFollowingRedirects(
      context,
      server.url('/token'),
      { 'content-type': 'application/x-www-form-urlencoded' },
      signal(),
      { method: 'POST', body: 'grant_type=refresh_token' },
    );
    discardBody(response.body);
    assert.equal(response.status, 307);
    assert.deepEqual(received, ['POST grant_type=refresh_token']);
  });
});
