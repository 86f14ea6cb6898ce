import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import {
  artifactHeaders,
  getFollowingRedirects,
  type Response,
} from '../../../src/download/http/request.ts';
import { downloadWhole } from '../../../src/download/whole/download-whole.ts';
import { FetchError, RejectedError } from '../../../src/errors.ts';
import { type DownloadCase, downloadCase } from '../../helpers/download-case.ts';
import { randomBytesBuffer, sha256Hex } from '../../helpers/tmp.ts';

const signal = () => AbortSignal.timeout(10_000);

/** A fresh case: the fault server, a kit over it and an empty temp file. */
const wholeCase = (overrides = {}) => downloadCase('download-whole-', overrides);

/** downloadWhole into the case's temp file as a run calls it; the bytes it resumed. */
function whole({ session, temp }: DownloadCase, handedOver?: Response): Promise<number> {
  return downloadWhole(session, temp, session.firstRequestLoop, signal(), handedOver);
}

/** The first answer, asked for as a run does before it hands it over. */
function firstAnswer({ session }: DownloadCase): Promise<Response> {
  return getFollowingRedirects(
    session.context,
    session.context.source.url,
    artifactHeaders('test'),
    signal(),
  );
}

describe('downloadWhole', () => {
  it('retries a body that broke off and resumes it with Range and If-Range: one retry event, the file whole', async () => {
    await using run = await wholeCase();
    const { server, kit, session, temp } = run;
    server.schedule({ kind: 'reset', afterBytes: 100_000 });
    const resumed = await whole(run);
    const second = server.requests[1];
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[0]?.headers.range, undefined);
    assert.equal(second?.headers.range, `bytes=${resumed}-`);
    assert.equal(second?.headers['if-range'], server.etag);
    assert.equal(second?.status, 206);
    assert.ok(resumed > 0 && resumed <= 100_000, `resumed ${resumed} bytes`);
    assert.deepEqual(kit.names(), ['retry', 'resume']);
    assert.equal(kit.named('retry')[0]?.keptBytes, resumed);
    assert.equal(kit.named('resume')[0]?.offsetBytes, resumed);
    assert.equal(session.attempts, 2);
    assert.equal(temp.digestHex(), sha256Hex(server.artifact));
    assert.deepEqual(await readFile(temp.path), server.artifact);
  });

  it('a stall is retried after the stall timeout, and the bytes kept are resumed', async () => {
    await using run = await wholeCase({ stallTimeoutMs: 150 });
    const { server, kit, temp } = run;
    server.schedule({ kind: 'stall', afterBytes: 64 * 1024 });
    const resumed = await whole(run);
    assert.equal(resumed, 64 * 1024);
    assert.equal(server.requests[1]?.headers.range, `bytes=${64 * 1024}-`);
    const [retry] = kit.named('retry');
    assert.equal(retry?.errorCode, 'BODY_TIMEOUT');
    assert.match(String(retry?.reason), /no data received within the stall timeout/);
    assert.equal(temp.digestHex(), sha256Hex(server.artifact));
  });

  it('the object changed between attempts: If-Range gets the new whole object, and it starts over', async () => {
    await using run = await wholeCase();
    const { server, kit, temp } = run;
    const before = server.etag;
    const changed = randomBytesBuffer(server.artifact.length);
    server.schedule({ kind: 'reset', afterBytes: 100_000 }, { kind: 'new-version', body: changed });
    const resumed = await whole(run);
    assert.equal(resumed, 0);
    assert.equal(server.requests[1]?.headers['if-range'], before);
    assert.equal(server.requests[1]?.status, 200);
    assert.deepEqual(kit.names(), ['retry', 'restart']);
    assert.equal(
      kit.named('restart')[0]?.reason,
      'the server sent the whole object (200) instead of the rest',
    );
    assert.deepEqual(await readFile(temp.path), changed);
    assert.equal(temp.digestHex(), sha256Hex(changed));
  });

  it('an answer handed over is the first attempt: streamed, not asked for again', async () => {
    await using run = await wholeCase();
    const { server, kit, temp } = run;
    const resumed = await whole(run, await firstAnswer(run));
    assert.equal(resumed, 0);
    assert.equal(server.requests.length, 1);
    assert.deepEqual(kit.names(), []);
    assert.equal(temp.digestHex(), sha256Hex(server.artifact));
  });

  it('an answer handed over that breaks off is followed by a request of its own, resuming', async () => {
    await using run = await wholeCase();
    const { server, kit, temp } = run;
    server.schedule({ kind: 'reset', afterBytes: 100_000 });
    const resumed = await whole(run, await firstAnswer(run));
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[1]?.headers.range, `bytes=${resumed}-`);
    assert.deepEqual(kit.names(), ['retry', 'resume']);
    assert.equal(temp.digestHex(), sha256Hex(server.artifact));
  });

  it('a permanent refusal is thrown at once: no retry', async () => {
    await using run = await wholeCase();
    const { server, kit, temp } = run;
    server.schedule({ kind: 'status', status: 404 });
    await assert.rejects(whole(run), (error: unknown) => {
      assert.ok(error instanceof RejectedError);
      assert.equal(error.code, 'ERR_REJECTED');
      assert.equal(error.details.status, 404);
      return true;
    });
    assert.equal(server.requests.length, 1);
    assert.deepEqual(kit.names(), []);
    assert.equal(temp.bytesWritten, 0);
  });

  it('transient failures end the loop after maxAttempts, with the last failure', async () => {
    await using run = await wholeCase({ maxAttempts: 2 });
    const { server, kit, session } = run;
    server.schedule({ kind: 'status', status: 503 }, { kind: 'status', status: 502 });
    await assert.rejects(whole(run), (error: unknown) => {
      assert.ok(error instanceof FetchError);
      assert.equal(error.transient, true);
      assert.equal(error.details.status, 502);
      return true;
    });
    assert.equal(server.requests.length, 2);
    assert.deepEqual(kit.names(), ['retry']);
    assert.equal(kit.named('retry')[0]?.status, 503);
    assert.equal(session.attempts, 2);
  });
});
