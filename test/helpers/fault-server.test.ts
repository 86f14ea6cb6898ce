// Tests for the fault-injecting artifact server, with plain node:http and raw sockets.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  defaultArtifactPath,
  fakeSignature,
  startArtifactServer,
  wrongRangeSkewBytes,
} from './fault-server.ts';
import { httpGet, rawGet } from './http-get.ts';
import { randomBytesBuffer } from './tmp.ts';

const artifact = randomBytesBuffer(100_000);

async function serverWithArtifact() {
  const server = await startArtifactServer();
  server.setArtifact(artifact);
  return server;
}

describe('fault server: normal answers', () => {
  test('serves the artifact with validators and records the request', async () => {
    await using server = await serverWithArtifact();
    assert.equal(server.url(), `${server.origin}${defaultArtifactPath}`);
    assert.ok(server.url().includes(`X-Amz-Signature=${fakeSignature}`));

    const res = await httpGet(server.url(), { headers: { 'user-agent': 'test-agent/1' } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, artifact);
    assert.equal(res.headers['content-length'], String(artifact.length));
    assert.equal(res.headers.etag, server.etag);
    assert.match(server.etag ?? '', /^"[0-9a-f]{16}"$/);
    assert.equal(res.headers['last-modified'], server.lastModified);
    assert.equal(res.headers['accept-ranges'], 'bytes');

    const [record] = server.requests;
    assert.equal(server.requests.length, 1);
    assert.equal(record?.method, 'GET');
    assert.equal(record?.path, defaultArtifactPath);
    assert.equal(record?.headers['user-agent'], 'test-agent/1');
    assert.equal(record?.fault, 'ok');
    assert.equal(record?.status, 200);
    assert.equal(record?.bytesSent, artifact.length);
    assert.equal(record?.clientAborted, false);
    assert.ok(Number.isInteger(record?.remotePort), 'the client port is recorded');
  });

  test('Range with a matching If-Range (ETag or date) gets 206 and the right Content-Range', async () => {
    await using server = await serverWithArtifact();
    for (const validator of [server.etag, server.lastModified]) {
      const res = await httpGet(server.url(), {
        headers: { range: 'bytes=1000-', 'if-range': validator ?? '' },
      });
      assert.equal(res.status, 206);
      assert.equal(
        res.headers['content-range'],
        `bytes 1000-${artifact.length - 1}/${artifact.length}`,
      );
      assert.deepEqual(res.body, artifact.subarray(1000));
    }
    const closed = await httpGet(server.url(), { headers: { range: 'bytes=10-19' } });
    assert.equal(closed.status, 206);
    assert.equal(closed.headers['content-range'], `bytes 10-19/${artifact.length}`);
    assert.deepEqual(closed.body, artifact.subarray(10, 20));
    assert.equal(server.requests[0]?.headers['if-range'], server.etag);
    assert.equal(server.requests[0]?.headers.range, 'bytes=1000-');
  });

  test('an If-Range that does not match strongly gets the full 200', async () => {
    await using server = await serverWithArtifact();
    const weak = `W/${server.etag}`;
    for (const validator of ['"something-else"', weak, 'Thu, 01 Jan 1970 00:00:00 GMT']) {
      const res = await httpGet(server.url(), {
        headers: { range: 'bytes=1000-', 'if-range': validator },
      });
      assert.equal(res.status, 200, validator);
      assert.deepEqual(res.body, artifact);
    }
  });

  test('without validators an If-Range never matches', async () => {
    await using server = await startArtifactServer();
    server.setArtifact(artifact, { etag: null, lastModified: null });
    const res = await httpGet(server.url(), { headers: { range: 'bytes=5-', 'if-range': '"x"' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.etag, undefined);
    assert.equal(res.headers['last-modified'], undefined);
  });

  test('an unsatisfiable range gets 416 with bytes */size', async () => {
    await using server = await serverWithArtifact();
    const res = await httpGet(server.url(), { headers: { range: `bytes=${artifact.length}-` } });
    assert.equal(res.status, 416);
    assert.equal(res.headers['content-range'], `bytes */${artifact.length}`);
  });

  test('route() answers its path without consuming a fault', async () => {
    await using server = await serverWithArtifact();
    server.route('/hop', (_req, res) => res.writeHead(302, { location: server.url() }).end());
    server.schedule({ kind: 'status', status: 500 });
    const hop = await httpGet(server.url('/hop?sig=1'));
    assert.equal(hop.status, 302);
    assert.equal(hop.headers.location, server.url());
    assert.equal((await httpGet(server.url())).status, 500);
    assert.deepEqual(
      server.requests.map((r) => [r.fault, r.status]),
      [
        ['route', 302],
        ['status', 500],
      ],
    );
  });
});

describe('fault server: conditional requests', () => {
  test('304 with the validators and no body for a matching If-None-Match or If-Modified-Since', async () => {
    await using server = await serverWithArtifact();
    const etag = server.etag ?? '';
    const lastModified = server.lastModified ?? '';
    const notModified = [
      { 'if-none-match': etag },
      { 'if-none-match': `"other", W/${etag}` },
      { 'if-none-match': '*' },
      { 'if-modified-since': lastModified },
      { 'if-none-match': etag, range: 'bytes=0-9' },
    ];
    for (const headers of notModified) {
      const exchange = await rawGet(server.origin, defaultArtifactPath, headers);
      const head = exchange.raw.toString('latin1');
      assert.match(head, /^HTTP\/1\.1 304 /, JSON.stringify(headers));
      assert.ok(head.toLowerCase().includes(`etag: ${etag}`.toLowerCase()));
      assert.equal(exchange.body.length, 0);
      assert.equal(server.requests.at(-1)?.bytesSent, 0);
    }
    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
    const changed = [
      { 'if-none-match': '"other"' },
      { 'if-none-match': '"other"', 'if-modified-since': lastModified },
      { 'if-modified-since': earlier },
    ];
    for (const headers of changed) {
      const res = await httpGet(server.url(), { headers });
      assert.equal(res.status, 200, JSON.stringify(headers));
      assert.deepEqual(res.body, artifact);
    }
  });
});

describe('fault server: faults', () => {
  test('scheduled faults apply in order, then every request is ok', async () => {
    await using server = await serverWithArtifact();
    server.schedule(
      { kind: 'status', status: 503, headers: { 'retry-after': '1' }, body: 'busy' },
      { kind: 'redirect', location: '/elsewhere' },
    );
    const busy = await httpGet(server.url());
    assert.equal(busy.status, 503);
    assert.equal(busy.headers['retry-after'], '1');
    assert.equal(busy.body.toString(), 'busy');
    const moved = await httpGet(server.url());
    assert.equal(moved.status, 307);
    assert.equal(moved.headers.location, '/elsewhere');
    assert.equal((await httpGet(server.url())).status, 200);
    assert.equal((await httpGet(server.url())).status, 200);
    assert.deepEqual(
      server.requests.map((r) => r.fault),
      ['status', 'redirect', 'ok', 'ok'],
    );
  });

  test('scheduleForRange faults only requests whose Range starts at that byte', async () => {
    await using server = await serverWithArtifact();
    server.scheduleForRange(5000, { kind: 'status', status: 503 }, { kind: 'ignore-range' });
    server.schedule({ kind: 'status', status: 502 });
    const other = await httpGet(server.url(), { headers: { range: 'bytes=0-4999' } });
    assert.equal(other.status, 502, 'a request for another range takes the general schedule');
    assert.equal(
      (await httpGet(server.url(), { headers: { range: 'bytes=5000-9999' } })).status,
      503,
    );
    const ignored = await httpGet(server.url(), { headers: { range: 'bytes=5000-' } });
    assert.equal(ignored.status, 200);
    assert.deepEqual(ignored.body, artifact);
    const served = await httpGet(server.url(), { headers: { range: 'bytes=5000-5009' } });
    assert.equal(served.status, 206, 'that range schedule is used up');
    assert.deepEqual(served.body, artifact.subarray(5000, 5010));
    assert.equal((await httpGet(server.url())).status, 200);
    assert.deepEqual(
      server.requests.map((r) => r.fault),
      ['status', 'status', 'ignore-range', 'ok', 'ok'],
    );
  });

  test('new-version replaces the artifact before answering: a stale If-Range gets 200', async () => {
    await using server = await serverWithArtifact();
    const oldEtag = server.etag;
    const newBody = randomBytesBuffer(50_000);
    server.schedule({ kind: 'new-version', body: newBody });
    const res = await httpGet(server.url(), {
      headers: { range: 'bytes=1000-1999', 'if-range': oldEtag ?? '' },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, newBody);
    assert.notEqual(server.etag, oldEtag);
    assert.equal(res.headers.etag, server.etag);
    assert.deepEqual(server.artifact, newBody);
    assert.equal(server.requests[0]?.fault, 'new-version');
  });

  test('reset delivers exactly afterBytes, then a TCP reset', async () => {
    await using server = await serverWithArtifact();
    server.schedule({ kind: 'reset', afterBytes: 1234 });
    const res = await rawGet(server.origin, defaultArtifactPath);
    assert.match(res.raw.toString('latin1'), new RegExp(`content-length: ${artifact.length}`, 'i'));
    assert.equal(res.ending, 'ECONNRESET');
    assert.deepEqual(res.body, artifact.subarray(0, 1234));
    assert.equal(server.requests[0]?.bytesSent, 1234);
    assert.equal(server.requests[0]?.clientAborted, false);
  });

  test('reset is seen by an HTTP client as an error after the partial body', async () => {
    await using server = await serverWithArtifact();
    server.schedule({ kind: 'reset', afterBytes: 500 });
    const res = await httpGet(server.url());
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 500);
    assert.equal(res.error?.code, 'ECONNRESET');
  });

  test('reset after a Range request keeps the 206 headers', async () => {
    await using server = await serverWithArtifact();
    server.schedule({ kind: 'reset', afterBytes: 100 });
    const res = await rawGet(server.origin, '/a.jar', { range: 'bytes=50000-' });
    assert.match(res.raw.toString('latin1'), /^HTTP\/1\.1 206 /);
    assert.deepEqual(res.body, artifact.subarray(50_000, 50_100));
  });

  test('close delivers afterBytes, then a clean end of stream', async () => {
    await using server = await serverWithArtifact();
    server.schedule({ kind: 'close', afterBytes: 777 });
    const res = await rawGet(server.origin, defaultArtifactPath);
    assert.equal(res.ending, 'fin');
    assert.deepEqual(res.body, artifact.subarray(0, 777));
    assert.equal(server.requests[0]?.clientAborted, false);
  });

  test('ignore-range answers 200 with the full body', async () => {
    await using server = await serverWithArtifact();
    server.schedule({ kind: 'ignore-range' });
    const res = await httpGet(server.url(), {
      headers: { range: 'bytes=1000-', 'if-range': server.etag ?? '' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-range'], undefined);
    assert.deepEqual(res.body, artifact);
  });

  test('wrong-content-range answers 206 for a range other than the one asked', async () => {
    await using server = await serverWithArtifact();
    server.schedule({ kind: 'wrong-content-range' });
    const res = await httpGet(server.url(), { headers: { range: 'bytes=1000-' } });
    const start = 1000 + wrongRangeSkewBytes;
    assert.equal(res.status, 206);
    assert.equal(
      res.headers['content-range'],
      `bytes ${start}-${artifact.length - 1}/${artifact.length}`,
    );
    assert.deepEqual(res.body, artifact.subarray(start));
  });

  test('length announces its own Content-Length and sends the real body', async () => {
    await using server = await serverWithArtifact();
    server.schedule({ kind: 'length', contentLength: artifact.length + 10 });
    const longer = await httpGet(server.url());
    assert.equal(longer.headers['content-length'], String(artifact.length + 10));
    assert.equal(longer.body.length, artifact.length);
    assert.ok(longer.error, 'the body ends before the announced length');

    server.schedule({ kind: 'length', contentLength: 10 });
    const shorter = await rawGet(server.origin, '/a.jar');
    assert.match(shorter.raw.toString('latin1'), /content-length: 10\r\n/i);
    assert.deepEqual(shorter.body, artifact);
    assert.equal(shorter.ending, 'fin');
  });

  test('oversize streams chunked past the artifact size and sees an early abort', async () => {
    await using server = await serverWithArtifact();
    const extraBytes = 50 * 1024 * 1024;
    server.schedule({ kind: 'oversize', extraBytes });
    const res = await httpGet(server.url(), { abortAfterBytes: artifact.length + 1 });
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    assert.equal(res.headers['content-length'], undefined);
    assert.ok(res.body.length > artifact.length);
    await waitFor(() => server.requests[0]?.clientAborted === true);
    assert.ok((server.requests[0]?.bytesSent ?? 0) < artifact.length + extraBytes);
  });

  test('slow drips the body with pauses', async () => {
    await using server = await startArtifactServer();
    server.setArtifact(Buffer.from('0123456789'));
    server.schedule({ kind: 'slow', bytesPerChunk: 2, delayMs: 20 });
    const startedMs = performance.now();
    const res = await httpGet(server.url());
    assert.equal(res.body.toString(), '0123456789');
    assert.ok(performance.now() - startedMs >= 4 * 20 - 5, 'four pauses between five chunks');
  });

  test('hold sends the first bytes, then the rest only once released', async () => {
    await using server = await startArtifactServer();
    server.setArtifact(Buffer.from('0123456789'));
    let release = () => {};
    const until = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.schedule({ kind: 'hold', afterBytes: 4, until });
    const response = httpGet(server.url());
    await waitFor(() => server.requests[0]?.bytesSent === 4);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(server.requests[0]?.bytesSent, 4, 'nothing more before the release');
    release();
    const res = await response;
    assert.equal(res.body.toString(), '0123456789');
    assert.equal(res.error, undefined);
  });

  test('stall holds the response open, and close() ends it without hanging', async () => {
    const server = await serverWithArtifact();
    server.schedule({ kind: 'stall', afterBytes: 300 });
    const pending = rawGet(server.origin, defaultArtifactPath);
    await waitFor(() => server.requests[0]?.bytesSent === 300);
    const startedMs = performance.now();
    await server.close();
    // Generous for two busy cores; a close() that waited for the stall would never return.
    assert.ok(performance.now() - startedMs < 10_000);
    const res = await pending;
    assert.deepEqual(res.body, artifact.subarray(0, 300));
    assert.equal(server.requests[0]?.clientAborted, false, 'the server, not the client, closed it');
  });

  test('a client giving up on a stall is recorded as clientAborted', async () => {
    await using server = await serverWithArtifact();
    server.schedule({ kind: 'stall', afterBytes: 10 });
    const res = await httpGet(server.url(), { abortAfterBytes: 10 });
    assert.equal(res.body.length, 10);
    await waitFor(() => server.requests[0]?.clientAborted === true);
    assert.equal(server.requests[0]?.status, 200);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
