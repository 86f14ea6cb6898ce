import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { discardBody } from '../../src/download/http/request.ts';
import { FetchError, RejectedError } from '../../src/errors.ts';
import { Redactor } from '../../src/log/redact.ts';
import type { CredentialsLookup } from '../../src/resolve/credentials.ts';
import { OriginAuth } from '../../src/resolve/origin-auth.ts';
import { testClient } from '../helpers/http-client.ts';
import { type LoopbackServer, serve } from '../helpers/loopback-server.ts';

const password = 'Origin-Auth-Passw0rd';
const basic = `Basic ${Buffer.from(`robot:${password}`).toString('base64')}`;
const found: CredentialsLookup = {
  found: true,
  key: 'reg',
  credentials: { kind: 'basic', username: 'robot', password },
};
const none: CredentialsLookup = { found: false, note: undefined };
const signal = () => AbortSignal.timeout(5_000);

interface Registry extends AsyncDisposable {
  readonly server: LoopbackServer;
  /** Each token request: its method, Authorization and body. */
  readonly tokenRequests: { method: string; authorization: string | undefined; body: string }[];
  /** The tokens the registry takes now; the token service hands out `token-N`. */
  readonly valid: Set<string>;
  /** The registry takes no token at all (each is revoked as soon as it is issued). */
  refusing: boolean;
}

/** A registry on loopback whose token service is on the same server at /token. */
async function registry(
  scheme: 'bearer' | 'basic',
  tokenAnswer?: (request: IncomingMessage, response: ServerResponse) => boolean,
): Promise<Registry> {
  const tokenRequests: Registry['tokenRequests'] = [];
  const valid = new Set<string>();
  const server: LoopbackServer = await serve((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      if (request.url?.startsWith('/token')) {
        tokenRequests.push({
          method: request.method ?? '',
          authorization: request.headers.authorization,
          body,
        });
        if (tokenAnswer?.(request, response)) return;
        const token = `token-${tokenRequests.length}`;
        valid.add(token);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ token, expires_in: 300 }));
        return;
      }
      const authorization = request.headers.authorization ?? '';
      const ok =
        scheme === 'basic'
          ? authorization === basic
          : !state.refusing && valid.has(authorization.slice('Bearer '.length));
      if (ok) return void response.end('manifest');
      response.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate':
          scheme === 'basic'
            ? 'Basic realm="r"'
            : `Bearer realm="${server.origin}/token",service="reg",scope="repository:team/app:pull"`,
      });
      response.end(
        JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }),
      );
    });
  });
  const state: Registry = {
    server,
    tokenRequests,
    valid,
    refusing: false,
    [Symbol.asyncDispose]: server[Symbol.asyncDispose],
  };
  return state;
}

function originAuth(credentials: CredentialsLookup, host = 'reg'): OriginAuth {
  return new OriginAuth({
    host,
    credentials,
    authFileSource: 'LOADER_REGISTRY_AUTH_FILE (/x/config.json)',
    repository: 'team/app',
    plainHttp: true,
    plainHttpSetting: 'LOADER_REGISTRY_PLAIN_HTTP',
    userAgent: 'test',
  });
}

function context(redactor = new Redactor()) {
  return { client: testClient(), maxRedirects: 3, redactor };
}

async function status(auth: OriginAuth, url: URL, ctx = context()): Promise<number> {
  const response = await auth.send(ctx, url, {}, signal());
  discardBody(response.body);
  return response.status;
}

describe('OriginAuth.send', () => {
  it('Bearer: one 401, a token got with the credentials as Basic, the request again; later requests send it up front', async () => {
    await using r = await registry('bearer');
    const auth = originAuth(found);
    const redactor = new Redactor();
    const ctx = context(redactor);
    const url = r.server.url('/v2/team/app/manifests/1.0');
    assert.equal(await status(auth, url, ctx), 200);
    assert.equal(await status(auth, r.server.url('/v2/team/app/blobs/sha256:0'), ctx), 200);
    assert.deepEqual(
      r.server.headers.map((sent) => sent.authorization?.split(' ')[0]),
      [undefined, 'Basic', 'Bearer', 'Bearer'],
    );
    assert.equal(r.tokenRequests.length, 1);
    assert.equal(r.tokenRequests[0]?.authorization, basic);
    assert.match(
      r.server.paths[1] ?? '',
      /^\/token\?service=reg&scope=repository%3Ateam%2Fapp%3Apull$/,
    );
    assert.equal(redactor.scrub('token-1 is known'), '[redacted] is known');
  });

  it('a token the registry refuses is got again once; a second 401 for the same request is final', async () => {
    await using r = await registry('bearer');
    const auth = originAuth(found);
    const url = r.server.url('/v2/team/app/manifests/1.0');
    assert.equal(await status(auth, url), 200);
    r.valid.clear();
    assert.equal(await status(auth, url), 200, 'the cached token refused: a new one');
    assert.equal(r.tokenRequests.length, 2);
    const before = r.tokenRequests.length;
    // Tokens issued from now on are refused too: the fresh one's 401 is the answer.
    r.refusing = true;
    assert.equal(await status(auth, url), 401);
    assert.equal(r.tokenRequests.length, before + 1, 'one token asked, not a loop');
  });

  it('a token past its expiry is got again before the request, not after a 401', async (t) => {
    await using r = await registry('bearer');
    const auth = originAuth(found);
    const url = r.server.url('/v2/team/app/manifests/1.0');
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    assert.equal(await status(auth, url), 200);
    t.mock.timers.tick(300_000);
    const sent = r.server.headers.length;
    assert.equal(await status(auth, url), 200);
    assert.equal(r.tokenRequests.length, 2);
    assert.equal(r.server.headers.length, sent + 2, 'the token, then the request: no 401 between');
    assert.equal(r.server.headers.at(-1)?.authorization, 'Bearer token-2');
  });

  it('anonymous: the token asked without credentials', async () => {
    await using r = await registry('bearer');
    assert.equal(await status(originAuth(none), r.server.url('/v2/team/app/manifests/1.0')), 200);
    assert.equal(r.tokenRequests[0]?.authorization, undefined);
  });

  it('an identity token: the refresh_token grant POSTed to the realm, as docker does', async () => {
    await using r = await registry('bearer');
    const auth = originAuth({
      found: true,
      key: 'reg',
      credentials: {
        kind: 'identity-token',
        username: '<token>',
        identityToken: 'refresh-me-1234',
      },
    });
    assert.equal(await status(auth, r.server.url('/v2/team/app/manifests/1.0')), 200);
    const [asked] = r.tokenRequests;
    assert.equal(asked?.method, 'POST');
    assert.equal(asked?.authorization, undefined);
    assert.equal(new URLSearchParams(asked?.body).get('refresh_token'), 'refresh-me-1234');
  });

  it('Basic: the credentials after a Basic challenge, then up front; wrong ones are not sent twice', async () => {
    await using r = await registry('basic');
    const auth = originAuth(found);
    const url = r.server.url('/v2/team/app/manifests/1.0');
    assert.equal(await status(auth, url), 200);
    assert.equal(await status(auth, url), 200);
    assert.deepEqual(
      r.server.headers.map((sent) => sent.authorization),
      [undefined, basic, basic],
    );
    const wrong = originAuth({
      found: true,
      key: 'reg',
      credentials: { kind: 'basic', username: 'robot', password: 'wrong-one' },
    });
    assert.equal(await status(wrong, url), 401);
    assert.equal(await status(wrong, url), 401);
    assert.equal(r.server.headers.length, 3 + 3, 'challenged, tried once; then sent up front once');
  });

  it('without credentials a Basic challenge is answered at once with the 401', async () => {
    await using r = await registry('basic');
    assert.equal(await status(originAuth(none), r.server.url('/v2/team/app/manifests/1.0')), 401);
    assert.equal(r.server.headers.length, 1);
  });

  it("a token service that refuses the credentials: exit 3 with the registry's code, the advice, no secret", async () => {
    await using r = await registry('bearer', (_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ details: `bad password ${password}` }));
      return true;
    });
    const auth = originAuth(found);
    await assert.rejects(
      auth.send(context(), r.server.url('/v2/team/app/manifests/1.0'), {}, signal()),
      (error: unknown) => {
        assert.ok(error instanceof RejectedError);
        assert.deepEqual(error.details, { status: 401, errorCode: 'UNAUTHORIZED' });
        assert.match(
          error.message,
          /token service of reg refused to issue a token for team\/app \(401\): the credentials for reg \(the auths entry "reg" of LOADER_REGISTRY_AUTH_FILE \(\/x\/config\.json\)\) were refused/,
        );
        assert.ok(!error.message.includes(password));
        return true;
      },
    );
  });

  it('a token answer that breaks off mid-body is a transient fetch failure, not an internal error', async () => {
    await using r = await registry('bearer', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
      response.write('{"token":"tok', () => response.socket?.destroy());
      return true;
    });
    await assert.rejects(
      originAuth(found).send(context(), r.server.url('/v2/team/app/manifests/1.0'), {}, signal()),
      (error: unknown) => {
        assert.ok(error instanceof FetchError, String(error));
        assert.equal(error.transient, true);
        assert.match(error.message, /^request to http:\/\/127\.0\.0\.1:\d+\/token failed: /);
        return true;
      },
    );
  });

  it('a 401 from the storage a blob is redirected to is no challenge of the registry', async () => {
    await using storage = await serve((_request, response) => {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="storage"' });
      response.end();
    });
    await using r = await serve((_request, response) => {
      response.writeHead(307, { location: `${storage.origin}/blob` });
      response.end();
    });
    assert.equal(await status(originAuth(found), r.url('/v2/team/app/blobs/sha256:0')), 401);
    assert.equal(storage.headers.length, 1, 'not asked again with credentials');
    assert.equal(storage.headers[0]?.authorization, undefined);
  });
});
