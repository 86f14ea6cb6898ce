// GET and HEAD /healthz against a real server: 200 `ok` without a signature,
// nothing about files, the folder never needed, never turned away by the
// admission bound, not in the access log; every look-alike path is an
// ordinary request that needs a signature.
import assert from 'node:assert/strict';
import { mkdir, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isHealthCheck } from '../../src/serve/health.ts';
import { holdTransfer } from '../helpers/hold-transfer.ts';
import { httpGet, rawGet } from '../helpers/http-get.ts';
import { startInProcessServer } from '../helpers/serve-in-process.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const secret = 'h'.repeat(43);
const jarText = 'jar bytes, never in a probe answer';

/** A server on `folder` holding app.jar, at most `maxTransfers` GET transfers in flight. */
async function server(folder: string, maxTransfers = 32) {
  await writeFile(join(folder, 'app.jar'), jarText);
  const { running, log, signed } = await startInProcessServer({
    folder,
    secret,
    admission: { maxTransfers, maxTransfersPerClient: maxTransfers, retryAfterMaxSeconds: 30 },
  });
  return { running, log, signed, url: (target: string) => `${running.origin}${target}` };
}

const statusOf = (raw: Buffer) => Number(raw.toString('latin1').split(' ')[1]);

describe('isHealthCheck', () => {
  it('is GET or HEAD of exactly /healthz, with or without a query', () => {
    for (const [method, target] of [
      ['GET', '/healthz'],
      ['HEAD', '/healthz'],
      ['GET', '/healthz?verbose'],
    ] as const) {
      assert.equal(isHealthCheck(method, target), true, `${method} ${target}`);
    }
    for (const [method, target] of [
      ['POST', '/healthz'],
      ['OPTIONS', '/healthz'],
      [undefined, '/healthz'],
      ['GET', '/healthz/'],
      ['GET', '/healthzX'],
      ['GET', '/healthz/../app.jar'],
      ['GET', '/HEALTHZ'],
      ['GET', '/%68ealthz'],
      ['GET', '//healthz'],
      ['GET', 'healthz'],
      ['GET', 'http://example.com/healthz'],
      ['GET', undefined],
    ] as const) {
      assert.equal(isHealthCheck(method, target), false, `${method} ${target}`);
    }
  });
});

describe('GET /healthz', () => {
  it('answers GET and HEAD with 200 `ok` and no signature, naming no file', async () => {
    await using tmp = await makeTempDir('healthz-');
    const { running, url } = await server(tmp.path);
    try {
      for (const target of ['/healthz', '/healthz?verbose=1']) {
        const get = await httpGet(url(target));
        assert.equal(get.status, 200, target);
        assert.equal(get.body.toString(), 'ok\n');
        assert.equal(get.headers['content-type'], 'text/plain; charset=utf-8');
        assert.equal(get.headers['content-length'], '3');
        assert.equal(get.headers['cache-control'], 'no-store');
        for (const fileHeader of ['etag', 'last-modified', 'accept-ranges', 'content-range']) {
          assert.equal(get.headers[fileHeader], undefined, `${target}: no ${fileHeader}`);
        }
      }
      const head = await httpGet(url('/healthz'), { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], '3');
      assert.equal(head.body.length, 0);
    } finally {
      await running.close(0);
    }
  });

  it('does not need the served folder: it answers with the folder gone', async () => {
    await using tmp = await makeTempDir('healthz-');
    const folder = join(tmp.path, 'files');
    await mkdir(folder);
    const { running, url, signed } = await server(folder);
    try {
      await rm(folder, { recursive: true });
      assert.equal((await httpGet(signed('/app.jar'))).status, 404, 'the file is gone');
      const probe = await httpGet(url('/healthz'));
      assert.equal(probe.status, 200);
      assert.equal(probe.body.toString(), 'ok\n');
    } finally {
      await running.close(0);
    }
  });

  it('answers 200 while a herd holds every transfer slot', { timeout: 15_000 }, async () => {
    await using tmp = await makeTempDir('healthz-');
    // Larger than loopback's socket buffers, so a reader that stops holds its slot. Sparse.
    await writeFile(join(tmp.path, 'hold.bin'), '');
    await truncate(join(tmp.path, 'hold.bin'), 128 * 1024 * 1024);
    const { running, url, signed } = await server(tmp.path, 1);
    try {
      const held = await holdTransfer(signed('/hold.bin'));
      assert.match(held.statusLine, / 200 /);
      assert.equal((await httpGet(signed('/app.jar'))).status, 503, 'every slot is held');
      const probes = await Promise.all(Array.from({ length: 20 }, () => httpGet(url('/healthz'))));
      assert.deepEqual(
        probes.map((probe) => probe.status),
        Array(20).fill(200),
      );
      assert.equal((await httpGet(signed('/app.jar'))).status, 503, 'still held: probes took none');
      held.release();
    } finally {
      await running.close(0);
    }
  });

  it('is not in the access log; other methods on /healthz are ordinary requests, logged', async () => {
    await using tmp = await makeTempDir('healthz-');
    const { running, url, log, signed } = await server(tmp.path);
    try {
      for (let probe = 0; probe < 5; probe++) await httpGet(url('/healthz'));
      await httpGet(url('/healthz'), { method: 'HEAD' });
      const post = await httpGet(url('/healthz'), { method: 'POST' });
      assert.equal(post.status, 405);
      assert.equal(post.headers.allow, 'GET, HEAD');
      // A later request as the cue: its event comes after any the probes would have written.
      await httpGet(signed('/app.jar'));
      await log.requestsLogged((event) => event.path === '/app.jar');
      const healthz = log.requests().filter((event) => event.path === '/healthz');
      assert.deepEqual(
        healthz.map((event) => [event.method, event.status]),
        [['POST', 405]],
        'only the POST is logged',
      );
    } finally {
      await running.close(0);
    }
  });

  it('is only the exact path: look-alikes need a signature, and none reaches a file', async () => {
    await using tmp = await makeTempDir('healthz-');
    const { running, signed } = await server(tmp.path);
    // A file named like the probe is shadowed by it: /healthz is reserved.
    await writeFile(join(tmp.path, 'healthz'), jarText);
    try {
      for (const path of [
        '/healthz/',
        '/healthzX',
        '/healthz/../app.jar',
        '/HEALTHZ',
        '/%68ealthz',
        '//healthz',
      ]) {
        const unsigned = await rawGet(running.origin, path);
        assert.equal(statusOf(unsigned.raw), 403, `${path} without a signature`);
        assert.match(unsigned.body.toString(), /^Missing signature/, path);
      }
      const signedProbe = await httpGet(signed('/healthz'));
      assert.equal(signedProbe.body.toString(), 'ok\n', 'the probe, not the file named healthz');
    } finally {
      await running.close(0);
    }
  });
});
