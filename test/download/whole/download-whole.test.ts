import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TempArtifact } from '../../../src/artifact/temp-artifact.ts';
import { artifactHeaders, getFollowingRedirects } from '../../../src/download/http/request.ts';
import { downloadWhole } from '../../../src/download/whole/download-whole.ts';
import { FetchError, RejectedError } from '../../../src/errors.ts';
import { configFor, downloadKit } from '../../helpers/download-kit.ts';
import { startArtifactServer } from '../../helpers/fault-server.ts';
import { makeTempDir, randomBytesBuffer, sha256Hex } from '../../helpers/tmp.ts';

const signal = () => AbortSignal.timeout(10_000);

describe('downloadWhole', () => {
  it('retries a body that broke off and resumes it with Range and If-Range: one retry event, the file whole', async () => {
    await using server = await startArtifactServer();
    await using dir = await makeTempDir('download-whole-');
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    server.schedule({ kind: 'reset', afterBytes: 100_000 });
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    try {
      const { session } = kit;
      const resumed = await downloadWhole(session, temp, session.firstBytes, signal());
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
    } finally {
      await temp.discard();
    }
  });

  it('a stall is retried after the stall timeout, and the bytes kept are resumed', async () => {
    await using server = await startArtifactServer();
    await using dir = await makeTempDir('download-whole-');
    await using kit = downloadKit(
      configFor(server.url(), server.artifact.length, { stallTimeoutMs: 150 }),
    );
    server.schedule({ kind: 'stall', afterBytes: 64 * 1024 });
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    try {
      const { session } = kit;
      const resumed = await downloadWhole(session, temp, session.firstBytes, signal());
      assert.equal(resumed, 64 * 1024);
      assert.equal(server.requests[1]?.headers.range, `bytes=${64 * 1024}-`);
      const [retry] = kit.named('retry');
      assert.equal(retry?.errorCode, 'UND_ERR_BODY_TIMEOUT');
      assert.match(String(retry?.reason), /no data received within the stall timeout/);
      assert.equal(temp.digestHex(), sha256Hex(server.artifact));
    } finally {
      await temp.discard();
    }
  });

  it('the object changed between attempts: If-Range gets the new whole object, and it starts over', async () => {
    await using server = await startArtifactServer();
    await using dir = await makeTempDir('download-whole-');
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    const before = server.etag;
    const changed = randomBytesBuffer(server.artifact.length);
    server.schedule({ kind: 'reset', afterBytes: 100_000 }, { kind: 'new-version', body: changed });
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    try {
      const { session } = kit;
      const resumed = await downloadWhole(session, temp, session.firstBytes, signal());
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
    } finally {
      await temp.discard();
    }
  });

  it('an answer handed over is the first attempt: streamed, not asked for again', async () => {
    await using server = await startArtifactServer();
    await using dir = await makeTempDir('download-whole-');
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    try {
      const { session } = kit;
      const handedOver = await getFollowingRedirects(
        session.context,
        session.context.url,
        artifactHeaders('test'),
        signal(),
      );
      const resumed = await downloadWhole(session, temp, session.firstBytes, signal(), handedOver);
      assert.equal(resumed, 0);
      assert.equal(server.requests.length, 1);
      assert.deepEqual(kit.names(), []);
      assert.equal(temp.digestHex(), sha256Hex(server.artifact));
    } finally {
      await temp.discard();
    }
  });

  it('an answer handed over that breaks off is followed by a request of its own, resuming', async () => {
    await using server = await startArtifactServer();
    await using dir = await makeTempDir('download-whole-');
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    server.schedule({ kind: 'reset', afterBytes: 100_000 });
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    try {
      const { session } = kit;
      const handedOver = await getFollowingRedirects(
        session.context,
        session.context.url,
        artifactHeaders('test'),
        signal(),
      );
      const resumed = await downloadWhole(session, temp, session.firstBytes, signal(), handedOver);
      assert.equal(server.requests.length, 2);
      assert.equal(server.requests[1]?.headers.range, `bytes=${resumed}-`);
      assert.deepEqual(kit.names(), ['retry', 'resume']);
      assert.equal(temp.digestHex(), sha256Hex(server.artifact));
    } finally {
      await temp.discard();
    }
  });

  it('a permanent refusal is thrown at once: no retry', async () => {
    await using server = await startArtifactServer();
    await using dir = await makeTempDir('download-whole-');
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    server.schedule({ kind: 'status', status: 404 });
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    try {
      const { session } = kit;
      await assert.rejects(
        downloadWhole(session, temp, session.firstBytes, signal()),
        (error: unknown) => {
          assert.ok(error instanceof RejectedError);
          assert.equal(error.code, 'ERR_REJECTED');
          assert.equal(error.details.status, 404);
          return true;
        },
      );
      assert.equal(server.requests.length, 1);
      assert.deepEqual(kit.names(), []);
      assert.equal(temp.bytesWritten, 0);
    } finally {
      await temp.discard();
    }
  });

  it('transient failures end the loop after maxAttempts, with the last failure', async () => {
    await using server = await startArtifactServer();
    await using dir = await makeTempDir('download-whole-');
    await using kit = downloadKit(
      configFor(server.url(), server.artifact.length, { maxAttempts: 2 }),
    );
    server.schedule({ kind: 'status', status: 503 }, { kind: 'status', status: 502 });
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    try {
      const { session } = kit;
      await assert.rejects(
        downloadWhole(session, temp, session.firstBytes, signal()),
        (error: unknown) => {
          assert.ok(error instanceof FetchError);
          assert.equal(error.transient, true);
          assert.equal(error.details.status, 502);
          return true;
        },
      );
      assert.equal(server.requests.length, 2);
      assert.deepEqual(kit.names(), ['retry']);
      assert.equal(kit.named('retry')[0]?.status, 503);
      assert.equal(session.attempts, 2);
    } finally {
      await temp.discard();
    }
  });
});
