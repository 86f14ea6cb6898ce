// Tests for the forward proxy: absolute-form HTTP forwarding and CONNECT tunnels.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { test } from 'node:test';
import tls from 'node:tls';
import { startArtifactServer } from './fault-server.ts';
import { startProxy } from './proxy.ts';
import { makeTestPki } from './tls.ts';

/** A GET whose request line carries `target` as is, sent to the proxy or over `tunnel`. */
function get(
  target: string,
  via: { port: number } | { tunnel: Duplex },
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    // createConnection is only used when no agent is given; agent: false makes a fresh one.
    const connection =
      'tunnel' in via
        ? { createConnection: () => via.tunnel }
        : { host: '127.0.0.1', port: via.port, agent: false };
    const req = http.request({ ...connection, path: target, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

test('proxy forwards an absolute-form HTTP request and records it', async () => {
  await using server = await startArtifactServer();
  await using proxy = await startProxy();
  const res = await get(server.url(), proxy, { range: 'bytes=0-9' });
  assert.equal(res.status, 206);
  assert.deepEqual(res.body, server.artifact.subarray(0, 10));
  assert.deepEqual(proxy.requests, [{ method: 'GET', target: server.url() }]);
  assert.equal(server.requests[0]?.headers.range, 'bytes=0-9');
});

test('proxy tunnels CONNECT to an https server', async () => {
  await using pki = await makeTestPki();
  await using server = await startArtifactServer({ tls: { key: pki.key, cert: pki.cert } });
  await using proxy = await startProxy();
  const authority = new URL(server.origin).host;
  const tunnel = await new Promise<Duplex>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: proxy.port,
      method: 'CONNECT',
      path: authority,
    });
    req.on('connect', (response, socket) => {
      assert.equal(response.statusCode, 200);
      resolve(socket);
    });
    req.on('error', reject);
    req.end();
  });
  const secure = tls.connect({ socket: tunnel, host: '127.0.0.1', ca: pki.caCert });
  const res = await get('/app.jar', { tunnel: secure });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, server.artifact);
  assert.deepEqual(proxy.requests, [{ method: 'CONNECT', target: authority }]);
});

test('proxy refuses origin-form requests and targets off loopback', async () => {
  await using proxy = await startProxy();
  assert.equal((await get('/app.jar', proxy)).status, 400);
  assert.equal((await get('http://192.0.2.1/app.jar', proxy)).status, 403);
});
