import assert from 'node:assert/strict';
import { type EventEmitter, once } from 'node:events';
import { type FileHandle, open, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { respondWithFile } from '../../src/serve/file-response.ts';
import type { AccessRecord } from '../../src/serve/responses.ts';
import { pacingOf } from '../../src/serve/throttle.ts';
import { httpGet } from '../helpers/http-get.ts';
import { makeTempDir, randomBytesBuffer, type TempDir } from '../helpers/tmp.ts';

const artifact = randomBytesBuffer(64 * 1024);
/** A fixed clock a day after the files' modification time, so Last-Modified is strong. */
const modified = new Date('2026-11-24T10:00:00Z');
const now = new Date(modified.getTime() + 86_400_000);

interface Served {
  record: AccessRecord;
  handle: FileHandle;
  /** Settles when respondWithFile has returned. */
  done: Promise<void>;
}

describe('respondWithFile', () => {
  let tmp: TempDir;
  let server: Server;
  let origin: string;
  let bytesPerSecond: number | undefined;
  const served: Served[] = [];

  /** Answers every request from the file its path names, the way the handler does after the signature. */
  before(async () => {
    tmp = await makeTempDir('file-response-');
    await writeFile(join(tmp.path, 'app.jar'), artifact);
    await writeFile(join(tmp.path, 'empty.bin'), '');
    for (const name of ['app.jar', 'empty.bin'])
      await utimes(join(tmp.path, name), modified, modified);
    server = createServer(async (request, response) => {
      const rawPath = request.url ?? '';
      const record: AccessRecord = {
        method: request.method ?? '',
        path: rawPath,
        status: 0,
        bytes: 0,
        complete: false,
      };
      const handle = await open(join(tmp.path, rawPath));
      const pacing = bytesPerSecond === undefined ? undefined : pacingOf(bytesPerSecond);
      const done = respondWithFile(handle, {
        request,
        response,
        record,
        rawPath,
        now,
        pacing,
        sendTimeoutMs: 60_000,
      });
      served.push({ record, handle, done });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await tmp.cleanup();
  });

  /** The record and handle of the last request, once respondWithFile is done with it. */
  const last = async (): Promise<Served> => {
    const entry = served.at(-1);
    assert.ok(entry, 'the server saw the request');
    await entry.done;
    // The body stream closes the handle on its own 'close', which may come a tick after the end.
    // A FileHandle emits 'close' when it is closed (an EventEmitter at run time; not in its types).
    if (entry.handle.fd !== -1) await once(entry.handle as unknown as EventEmitter, 'close');
    return entry;
  };

  it('sends the whole file with its headers, counts every byte and closes the file', async () => {
    const response = await httpGet(`${origin}/app.jar`);
    assert.equal(response.status, 200);
    assert.ok(response.body.equals(artifact));
    assert.equal(response.headers['content-type'], 'application/java-archive');
    assert.equal(response.headers['content-length'], String(artifact.length));
    assert.equal(response.headers['last-modified'], modified.toUTCString());
    assert.equal(response.headers['cache-control'], 'private, no-transform');
    const { record, handle } = await last();
    assert.deepEqual(
      [record.bytes, record.complete, record.range],
      [artifact.length, true, undefined],
    );
    assert.equal(handle.fd, -1, 'the file is closed');
  });

  it('sends one range as a 206 and records the Range field', async () => {
    const response = await httpGet(`${origin}/app.jar`, { headers: { range: 'bytes=100-' } });
    assert.equal(response.status, 206);
    assert.equal(
      response.headers['content-range'],
      `bytes 100-${artifact.length - 1}/${artifact.length}`,
    );
    assert.ok(response.body.equals(artifact.subarray(100)));
    const { record } = await last();
    assert.deepEqual(
      [record.bytes, record.complete, record.range],
      [artifact.length - 100, true, 'bytes=100-'],
    );
  });

  it('answers 304 before looking at Range, with the validators and no body', async () => {
    const { etag = '' } = (await httpGet(`${origin}/app.jar`, { method: 'HEAD' })).headers;
    const response = await httpGet(`${origin}/app.jar`, {
      headers: { 'if-none-match': etag, range: `bytes=${artifact.length}-` },
    });
    assert.equal(response.status, 304);
    assert.equal(response.body.length, 0);
    assert.equal(response.headers.etag, etag);
    assert.equal(response.headers['cache-control'], 'private, no-transform');
    const { record, handle } = await last();
    assert.deepEqual([record.reason, record.complete, record.bytes], ['not modified', true, 0]);
    assert.equal(record.range, undefined, 'the Range field was never read');
    assert.equal(handle.fd, -1, 'the file is closed without a body stream');
  });

  it('answers 416 with the size for a range past the end, and closes the file', async () => {
    const response = await httpGet(`${origin}/app.jar`, {
      headers: { range: `bytes=${artifact.length}-` },
    });
    assert.equal(response.status, 416);
    assert.equal(response.headers['content-range'], `bytes */${artifact.length}`);
    assert.equal(response.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.ok(response.headers.etag, 'the validators tell the client which file it was');
    const { record, handle } = await last();
    assert.deepEqual([record.reason, record.complete], ['range not satisfiable', true]);
    assert.equal(handle.fd, -1);
  });

  it('answers HEAD with the headers of the whole file and no body, Range ignored', async () => {
    const response = await httpGet(`${origin}/app.jar`, {
      method: 'HEAD',
      headers: { range: 'bytes=0-0' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-length'], String(artifact.length));
    assert.equal(response.body.length, 0);
    const { record, handle } = await last();
    assert.deepEqual([record.bytes, record.complete, record.range], [0, true, undefined]);
    assert.equal(handle.fd, -1);
  });

  it('sends an empty file as a complete empty 200', async () => {
    const response = await httpGet(`${origin}/empty.bin`);
    assert.deepEqual([response.status, response.body.length], [200, 0]);
    assert.equal(response.headers['content-type'], 'application/octet-stream');
    const { record, handle } = await last();
    assert.deepEqual([record.bytes, record.complete], [0, true]);
    assert.equal(handle.fd, -1);
  });

  it('paces the body when a cap is set, byte-exact', async () => {
    bytesPerSecond = 256 * 1024;
    try {
      const startedMs = performance.now();
      const response = await httpGet(`${origin}/app.jar`);
      const elapsedMs = performance.now() - startedMs;
      assert.ok(response.body.equals(artifact));
      // 64 KiB at 256 KiB/s in 16 KiB reads: the first at once, each next one 62.5 ms later,
      // so the last leaves no earlier than 187.5 ms (a lower bound: a busy machine only adds).
      assert.ok(elapsedMs >= 180, `${elapsedMs} ms is faster than the cap`);
      const { record } = await last();
      assert.deepEqual([record.bytes, record.complete], [artifact.length, true]);
    } finally {
      bytesPerSecond = undefined;
    }
  });
});
