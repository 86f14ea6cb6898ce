import assert from 'node:assert/strict';
import { open, truncate, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readBufferStats, sendBody } from '../../src/serve/file-body.ts';
import { spanOf } from '../../src/serve/range.ts';
import type { AccessRecord } from '../../src/serve/responses.ts';
import { ConnectionThrottle } from '../../src/serve/throttle.ts';
import { httpGet } from '../helpers/http-get.ts';
import { makeTempDir, randomBytesBuffer, type TempDir } from '../helpers/tmp.ts';

const artifact = randomBytesBuffer(256 * 1024);

type Send = (
  request: IncomingMessage,
  response: ServerResponse,
  record: AccessRecord,
) => Promise<void>;

describe('sendBody', () => {
  let tmp: TempDir;
  let server: Server;
  let origin: string;
  let send: Send;
  let outcome: Promise<{ record: AccessRecord; error?: unknown }>;

  before(async () => {
    tmp = await makeTempDir('file-body-');
    server = createServer((request, response) => {
      const record: AccessRecord = {
        method: 'GET',
        path: '',
        status: 0,
        bytes: 0,
        complete: false,
      };
      outcome = send(request, response, record).then(
        () => ({ record }),
        (error: unknown) => {
          response.destroy();
          return { record, error };
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await tmp.cleanup();
  });

  /** Sends `file` whole (headers first, as the handler does), capped when `throttle` is given. */
  const sendFile =
    (file: string, throttle?: ConnectionThrottle, beforeSending?: () => Promise<void>): Send =>
    async (_request, response, record) => {
      await using handle = await open(file);
      const span = spanOf({ kind: 'full' }, (await handle.stat()).size);
      response.writeHead(200, { 'content-length': span.lengthBytes });
      await beforeSending?.();
      await sendBody(handle, span, response, record, { throttle, sendTimeoutMs: 60_000 });
    };

  it('sends every byte, counts them and marks the record complete', async () => {
    const file = join(tmp.path, 'whole.jar');
    await writeFile(file, artifact);
    send = sendFile(file);
    const response = await httpGet(`${origin}/`);
    assert.ok(response.body.equals(artifact));
    assert.equal(response.error, undefined);
    const { record, error } = await outcome;
    assert.equal(error, undefined);
    assert.deepEqual(
      [record.bytes, record.complete, record.reason],
      [artifact.length, true, undefined],
    );
  });

  it('counts the paced bytes too, through the throttle', async () => {
    const file = join(tmp.path, 'paced.jar');
    await writeFile(file, artifact);
    send = sendFile(file, new ConnectionThrottle(16 * 1024 * 1024));
    const response = await httpGet(`${origin}/`);
    assert.ok(response.body.equals(artifact));
    const { record } = await outcome;
    assert.deepEqual([record.bytes, record.complete], [artifact.length, true]);
  });

  it('breaks the connection when the file shrank after its length was sent', async () => {
    const file = join(tmp.path, 'shrinking.jar');
    await writeFile(file, artifact);
    // Headers promise 256 KiB; the file is cut to 1 KiB before the first read.
    send = sendFile(file, undefined, () => truncate(file, 1024));
    const response = await httpGet(`${origin}/`);
    assert.equal(response.body.length, 1024);
    assert.ok(response.error !== undefined, 'the client sees the response break, not a clean end');
    const { record, error } = await outcome;
    assert.equal(error, undefined, 'a shrunk file is recorded, not thrown');
    assert.equal(record.reason, `file shrank: 1024 of ${artifact.length} bytes sent`);
    assert.equal(record.complete, false);
  });

  it('throws when the client goes away mid-body, and leaves the record incomplete', async () => {
    const file = join(tmp.path, 'abandoned.jar');
    await writeFile(file, artifact);
    // 64 KiB/s: the client is long gone before the 256 KiB could be sent.
    send = sendFile(file, new ConnectionThrottle(64 * 1024));
    await httpGet(`${origin}/`, { abortAfterBytes: 1 });
    const { record, error } = await outcome;
    assert.ok(error instanceof Error, `sendBody settled with ${String(error)}`);
    assert.equal(record.complete, false);
    assert.ok(record.bytes < artifact.length, `${record.bytes} bytes counted`);
  });

  it('has every read buffer back once the sends are over, however they ended', () => {
    // After the sends above: whole, paced, cut short by a shrunk file, abandoned by the client.
    const { made, free } = readBufferStats();
    assert.ok(made >= 1, 'the sends used the pool');
    assert.equal(free, made);
  });
});
