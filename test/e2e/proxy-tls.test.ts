// End-to-end proxies and private CAs (issue 3): the built loader as a child process,
// with HTTP_PROXY / HTTPS_PROXY / NO_PROXY and NODE_EXTRA_CA_CERTS in its environment
// (Node reads the extra CAs at process start, so they can only come that way).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { createSecureServer } from 'node:http2';
import { type AddressInfo, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { describeRun, finalEvent } from '../helpers/events.ts';
import {
  type ArtifactServer,
  fakeSignature,
  startArtifactServer,
} from '../helpers/fault-server.ts';
import { fastLoaderEnv, loaderEnv } from '../helpers/loader-env.ts';
import { type ForwardProxy, startProxy } from '../helpers/proxy.ts';
import { assertNothingPublished, assertPublished } from '../helpers/published.ts';
import { assertNoSecret, type LoaderRun, runLoader } from '../helpers/run-loader.ts';
import { startSocks5Proxy } from '../helpers/socks5-proxy.ts';
import { makeTestPki, type TestPki } from '../helpers/tls.ts';
import { makeTempDir, randomBytesBuffer } from '../helpers/tmp.ts';

let pki: TestPki;
before(async () => {
  pki = await makeTestPki();
});
after(() => pki?.cleanup());

interface Setup extends AsyncDisposable {
  server: ArtifactServer;
  proxy: ForwardProxy;
  target: string;
  run(env: Record<string, string>): Promise<LoaderRun>;
}

async function setup(options: { https: boolean }): Promise<Setup> {
  const server = await startArtifactServer(
    options.https ? { tls: { key: pki.key, cert: pki.cert } } : {},
  );
  const proxy = await startProxy();
  const dir = await makeTempDir('runtime-loader-e2e-');
  const target = join(dir.path, 'out', 'app.jar');
  const terminationLog = join(dir.path, 'no-termination-log');
  const run = async (env: Record<string, string>) => {
    const result = await runLoader({ env: fastLoaderEnv({ server, target, terminationLog }, env) });
    assertNoSecret(result, [fakeSignature]);
    return result;
  };
  const dispose = async () => {
    await proxy.close();
    await server.close();
    await dir.cleanup();
  };
  return { server, proxy, target, run, [Symbol.asyncDispose]: dispose };
}

describe('proxies', () => {
  test('HTTP_PROXY carries a download from an http URL', async () => {
    await using s = await setup({ https: false });

    const run = await s.run({ HTTP_PROXY: s.proxy.url });

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.deepEqual(s.proxy.requests, [{ method: 'GET', target: s.server.url() }]);
    assert.equal(s.server.requests.length, 1);
  });

  test('NO_PROXY=127.0.0.1 bypasses HTTP_PROXY', async () => {
    await using s = await setup({ https: false });

    const run = await s.run({ HTTP_PROXY: s.proxy.url, NO_PROXY: '127.0.0.1' });

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.deepEqual(s.proxy.requests, [], 'the proxy saw nothing');
    assert.equal(s.server.requests.length, 1);
  });

  test('HTTPS_PROXY tunnels an https download through CONNECT', async () => {
    await using s = await setup({ https: true });

    const run = await s.run({ HTTPS_PROXY: s.proxy.url, NODE_EXTRA_CA_CERTS: pki.caCertPath });

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.deepEqual(s.proxy.requests, [
      { method: 'CONNECT', target: new URL(s.server.origin).host },
    ]);
    assert.equal(s.server.requests.length, 1);
  });

  // curl's socks5h://: the proxy resolves the name, which a pod's own DNS may not know.
  test('a socks5h:// proxy carries an https download, the host name resolved by the proxy', async () => {
    await using s = await setup({ https: true });
    await using socks = await startSocks5Proxy();
    const url = new URL(s.server.url());
    url.hostname = 'localhost';

    const run = await s.run({
      ARTIFACT_URL: url.href,
      HTTPS_PROXY: socks.url.replace('socks5://', 'socks5h://'),
      NODE_EXTRA_CA_CERTS: pki.caCertPath,
    });

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.deepEqual(socks.requests, [{ target: url.host }], 'the name, not an address');
    assert.equal(s.server.requests.length, 1);
  });

  test('a connection cut inside the CONNECT tunnel resumes through a new tunnel', async () => {
    await using s = await setup({ https: true });
    // 'close', not 'reset': the fault server cannot send a TCP RST under TLS (resetAndDestroy throws).
    s.server.schedule({ kind: 'close', afterBytes: 100_000 });

    const run = await s.run({ HTTPS_PROXY: s.proxy.url, NODE_EXTRA_CA_CERTS: pki.caCertPath });

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.deepEqual(
      s.proxy.requests.map((request) => request.method),
      ['CONNECT', 'CONNECT'],
    );
    assert.equal(s.server.requests[1]?.headers.range, 'bytes=100000-');
    assert.equal(s.server.requests[1]?.headers['if-range'], s.server.etag);
    assert.equal(finalEvent(run).resumedBytes, 100_000);
  });
});

describe('private CAs', () => {
  test('NODE_EXTRA_CA_CERTS makes a private CA trusted', async () => {
    await using s = await setup({ https: true });

    const run = await s.run({ NODE_EXTRA_CA_CERTS: pki.caCertPath });

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.equal(s.server.requests.length, 1);
  });

  for (const via of ['directly', 'through HTTPS_PROXY'] as const) {
    test(`without NODE_EXTRA_CA_CERTS an https download ${via} fails with exit 4 naming it`, async () => {
      await using s = await setup({ https: true });

      const run = await s.run(via === 'directly' ? {} : { HTTPS_PROXY: s.proxy.url });

      assert.equal(run.code, 4, describeRun(run));
      await assertNothingPublished(s.target);
      const failed = finalEvent(run);
      assert.match(String(failed.msg), /NODE_EXTRA_CA_CERTS/);
      assert.equal(failed.attempts, 1, 'an untrusted certificate is not retried');
      assert.equal(s.server.requests.length, 0, 'no HTTP request got past the handshake');
      if (via !== 'directly') assert.equal(s.proxy.requests[0]?.method, 'CONNECT');
    });
  }
});

describe('HTTP/2', () => {
  // A server that offers HTTP/2 (and HTTP/1.1) by ALPN still serves the loader: node:https
  // offers only http/1.1, so the server answers in HTTP/1.1.
  test('downloads from a server that negotiates HTTP/2 over TLS', async () => {
    const artifact = randomBytesBuffer(3 * 1024 * 1024 + 5);
    const versions: string[] = [];
    const server = createSecureServer({ key: pki.key, cert: pki.cert, allowHTTP1: true });
    server.on('request', (request, response) => {
      versions.push(request.httpVersion);
      response.writeHead(200, { 'content-length': artifact.length, etag: '"v1"' });
      response.end(artifact);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const dir = await makeTempDir('runtime-loader-e2e-');
    try {
      const target = join(dir.path, 'out', 'app.jar');
      const run = await runLoader({
        env: {
          ARTIFACT_URL: `https://localhost:${port}/artifacts/app.jar?X-Amz-Signature=${fakeSignature}`,
          ARTIFACT_EXPECTED_SIZE: String(artifact.length),
          ARTIFACT_PATH: target,
          LOADER_VERIFY_JAR: 'false',
          LOADER_LOG_FORMAT: 'json',
          NODE_EXTRA_CA_CERTS: pki.caCertPath,
        },
      });
      assertNoSecret(run, [fakeSignature]);
      assert.equal(run.code, 0, describeRun(run));
      await assertPublished(target, artifact);
      assert.deepEqual(versions, ['1.1']);
    } finally {
      server.close();
      await dir.cleanup();
    }
  });
});

/** A proxy that accepts connections and never answers: the stall timeout must still apply. */
async function startSilentProxy(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('proxy failures', () => {
  for (const https of [false, true]) {
    test(`a silent ${https ? 'HTTPS (CONNECT)' : 'HTTP'} proxy is cut by the stall timeout, not the deadline`, async () => {
      await using s = await setup({ https });
      const silent = await startSilentProxy();
      try {
        const run = await s.run({
          [https ? 'HTTPS_PROXY' : 'HTTP_PROXY']: silent.url,
          LOADER_MAX_ATTEMPTS: '2',
          LOADER_DEADLINE_SECONDS: '20',
          ...(https ? { NODE_EXTRA_CA_CERTS: pki.caCertPath } : {}),
        });
        assert.equal(run.code, 4, describeRun(run));
        const failed = finalEvent(run);
        assert.notEqual(
          failed.code,
          'ERR_DEADLINE',
          'the deadline, not the stall timeout, ended it',
        );
        assert.equal(failed.errorCode, 'HEADERS_TIMEOUT');
        assert.equal(failed.attempts, 2);
      } finally {
        await silent.close();
      }
    });
  }

  test('SIGTERM while a CONNECT hangs exits 143 at once, without waiting for cleanup grace', async () => {
    await using s = await setup({ https: true });
    const silent = await startSilentProxy();
    try {
      const result = await runLoader({
        env: loaderEnv(s, {
          HTTPS_PROXY: silent.url,
          LOADER_STALL_TIMEOUT_SECONDS: '30',
          LOADER_CONNECT_TIMEOUT_SECONDS: '30',
        }),
        onEvent: (event, child) => {
          if (event.event === 'start') setTimeout(() => child.kill('SIGTERM'), 200);
        },
      });
      assertNoSecret(result, [fakeSignature]);
      assert.equal(result.code, 143, describeRun(result));
      const failed = finalEvent(result);
      assert.equal(failed.code, 'ERR_INTERRUPTED');
      assert.doesNotMatch(String(failed.msg), /cleanup took over/);
      assert.deepEqual(await readdir(dirname(s.target)), [], 'no temp file is left');
    } finally {
      await silent.close();
    }
  });

  test('a proxy variable without a scheme is a configuration error that does not echo it', async () => {
    await using s = await setup({ https: false });
    const run = await s.run({ HTTPS_PROXY: 'user:proxysecret@127.0.0.1:3128' });
    assert.equal(run.code, 2, describeRun(run));
    assert.match(String(finalEvent(run).msg), /HTTPS_PROXY: expected a proxy URL/);
    assert.doesNotMatch(run.stdout, /proxysecret/);
  });

  // 407 comes from the proxy, never from the server: the URL is fine, and a new one would meet
  // the same proxy. Exit 4 for both schemes, not 3 ("issue a new URL"), and not retried in the run.
  for (const https of [false, true]) {
    test(`a proxy's 407 in front of an ${https ? 'https (CONNECT)' : 'http'} URL: exit 4, PROXY_REFUSED, one attempt`, async () => {
      await using s = await setup({ https });
      await using guarded = await startProxy({
        credentials: { username: 'agent', password: 'right' },
      });
      const run = await s.run({
        [https ? 'HTTPS_PROXY' : 'HTTP_PROXY']: guarded.url.replace('//', '//agent:proxysecret@'),
        ...(https ? { NODE_EXTRA_CA_CERTS: pki.caCertPath } : {}),
      });
      assert.equal(run.code, 4, describeRun(run));
      const failed = finalEvent(run);
      assert.equal(failed.errorCode, 'PROXY_REFUSED');
      assert.equal(failed.proxyStatus, 407);
      assert.equal(failed.attempts, 1);
      assert.match(String(failed.msg), /missing or not accepted/);
      assert.equal(guarded.requests.length, 1);
      assert.equal(s.server.requests.length, 0);
      assert.doesNotMatch(`${run.stdout}${run.stderr}`, /proxysecret/);
    });
  }

  test('proxy credentials never appear in the output', async () => {
    await using s = await setup({ https: false });
    s.server.schedule({ kind: 'status', status: 403 });
    const run = await s.run({
      HTTP_PROXY: s.proxy.url.replace('http://', 'http://agent:proxysecret@'),
    });
    assert.equal(run.code, 3, describeRun(run));
    assert.doesNotMatch(`${run.stdout}${run.stderr}`, /proxysecret/);
  });
});
