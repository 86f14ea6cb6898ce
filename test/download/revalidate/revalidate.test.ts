import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { discardBody } from '../../../src/download/http/request.ts';
import type { ObjectVersion } from '../../../src/download/revalidate/object-version.ts';
import { revalidate } from '../../../src/download/revalidate/revalidate.ts';
import { FetchError, RejectedError } from '../../../src/errors.ts';
import { configFor, downloadKit } from '../../helpers/download-kit.ts';
import { type ArtifactServer, startArtifactServer } from '../../helpers/fault-server.ts';

const signal = () => AbortSignal.timeout(10_000);
const firstPart = { index: 0, firstByte: 0, lastByte: 65_535 };

function versionOf(server: ArtifactServer): ObjectVersion {
  return { etag: server.etag ?? undefined, lastModified: server.lastModified ?? undefined };
}

const xml = { 'content-type': 'application/xml' };

describe('revalidate', () => {
  it('a 304 to the recorded validators: not modified, no body, no retry', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    const answer = await revalidate(kit.session, versionOf(server), undefined, signal());
    assert.deepEqual(answer, { kind: 'not-modified' });
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0]?.headers['if-none-match'], server.etag);
    assert.equal(server.requests[0]?.headers['if-modified-since'], server.lastModified);
    assert.equal(server.requests[0]?.headers.range, undefined);
    assert.equal(server.requests[0]?.status, 304);
    assert.deepEqual(kit.names(), []);
    assert.equal(kit.session.attempts, 1);
  });

  it('a 304 with another ETag is not trusted: the attempt fails, the next asks without a condition, its 200 is handed over', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    server.schedule({ kind: 'status', status: 304, headers: { etag: '"other"' } });
    const answer = await revalidate(kit.session, versionOf(server), undefined, signal());
    assert.equal(answer.kind, 'changed');
    discardBody(answer.response.body);
    assert.equal(answer.asked, 'after-untrusted-304');
    assert.equal(answer.response.status, 200);
    const [conditional, fresh] = server.requests;
    assert.equal(conditional?.headers['if-none-match'], server.etag);
    assert.equal(fresh?.headers['if-none-match'], undefined);
    assert.equal(fresh?.headers['if-modified-since'], undefined);
    const [retry, ...more] = kit.named('retry');
    assert.equal(more.length, 0);
    assert.equal(retry?.status, 304);
    assert.equal(retry?.errorCode, 'UNTRUSTED_NOT_MODIFIED');
    assert.equal(
      retry?.reason,
      `${server.origin}/artifacts/app.jar answered 304 Not Modified with the ETag "other", but the verification record has ${server.etag}: not trusted, asking again without a condition`,
    );
    assert.equal(kit.session.attempts, 2, 'the 304 was an attempt');
  });

  it('a rollback under a weak ETag: If-None-Match carries the weak tag, and the older object comes back as a 200', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    const newer = { etag: 'W/"new"', lastModified: 'Tue, 24 Nov 2026 10:00:00 GMT' };
    // The path now holds an older object of the same size: older date, its own weak tag.
    server.setArtifact(Buffer.alloc(server.artifact.length, 3), {
      etag: 'W/"old"',
      lastModified: 'Mon, 23 Nov 2026 10:00:00 GMT',
    });
    const answer = await revalidate(kit.session, newer, undefined, signal());
    assert.equal(answer.kind, 'changed');
    discardBody(answer.response.body);
    assert.equal(answer.asked, 'conditional');
    assert.equal(server.requests[0]?.headers['if-none-match'], 'W/"new"');
    assert.equal(server.requests.length, 1);
  });

  it('a rollback to a server that weighs only the date: its 304 carries the older validators, is not trusted, and the object is fetched', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    const newer = { etag: 'W/"new"', lastModified: 'Tue, 24 Nov 2026 10:00:00 GMT' };
    const older = { etag: 'W/"old"', 'last-modified': 'Mon, 23 Nov 2026 10:00:00 GMT' };
    const conditions: (string | undefined)[] = [];
    server.route('/artifacts/app.jar', (request, response) => {
      const since = request.headers['if-modified-since'];
      conditions.push(since);
      if (since !== undefined && Date.parse(since) >= Date.parse(older['last-modified'])) {
        response.writeHead(304, older);
        response.end();
        return;
      }
      response.writeHead(200, { ...older, 'content-length': server.artifact.length });
      response.end(server.artifact);
    });
    const answer = await revalidate(kit.session, newer, undefined, signal());
    assert.equal(answer.kind, 'changed');
    discardBody(answer.response.body);
    assert.equal(answer.asked, 'after-untrusted-304');
    assert.deepEqual(conditions, [newer.lastModified, undefined]);
    assert.match(
      String(kit.named('retry')[0]?.reason),
      /ETag W\/"old", but the verification record has W\/"new"/,
    );
  });

  it('a 304 with the recorded ETag compared weakly, or carrying no validator, is trusted', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    server.schedule(
      { kind: 'status', status: 304, headers: { etag: `W/${server.etag}` } },
      { kind: 'status', status: 304 },
    );
    for (const _ of [1, 2]) {
      const answer = await revalidate(kit.session, versionOf(server), undefined, signal());
      assert.deepEqual(answer, { kind: 'not-modified' });
    }
  });

  it('a 304 to a request that carried no condition is not trusted: an unexpected answer, as on a first run', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    server.schedule({ kind: 'status', status: 304 });
    const unrecorded: ObjectVersion = { etag: undefined, lastModified: undefined };
    await assert.rejects(
      revalidate(kit.session, unrecorded, undefined, signal()),
      (error: unknown) => {
        assert.ok(error instanceof FetchError, String(error));
        assert.equal(error.transient, false);
        assert.equal(error.details.status, 304);
        assert.match(error.message, /answered 304 Not Modified for .*, which is not retried/);
        return true;
      },
    );
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0]?.headers['if-none-match'], undefined);
    assert.equal(server.requests[0]?.headers['if-modified-since'], undefined);
  });

  it('a 304 not trusted on the last attempt is thrown: it is an answer, not a reason to keep the file', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(
      configFor(server.url(), server.artifact.length, { maxAttempts: 1 }),
    );
    server.schedule({ kind: 'status', status: 304, headers: { etag: '"other"' } });
    await assert.rejects(
      revalidate(kit.session, versionOf(server), undefined, signal()),
      (error: unknown) =>
        error instanceof FetchError && error.details.errorCode === 'UNTRUSTED_NOT_MODIFIED',
    );
    assert.equal(server.requests.length, 1);
  });

  it('a changed object: its 200 is handed over, the body not yet read', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    const recorded = versionOf(server);
    server.setArtifact(Buffer.alloc(server.artifact.length, 7));
    const answer = await revalidate(kit.session, recorded, undefined, signal());
    assert.equal(answer.kind, 'changed');
    try {
      assert.equal(answer.asked, 'conditional');
      assert.equal(answer.response.status, 200);
      assert.equal(answer.response.headers.etag, server.etag);
      assert.equal(answer.response.body.destroyed, false);
      assert.equal(server.requests[0]?.headers['if-none-match'], recorded.etag);
    } finally {
      discardBody(answer.response.body);
    }
  });

  it('asked with the Range of part 0, a changed object answers 206 and that is handed over', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    const recorded = versionOf(server);
    server.setArtifact(Buffer.alloc(server.artifact.length, 9));
    const answer = await revalidate(kit.session, recorded, firstPart, signal());
    assert.equal(answer.kind, 'changed');
    try {
      assert.equal(answer.response.status, 206);
      assert.equal(server.requests[0]?.headers.range, 'bytes=0-65535');
      assert.equal(server.requests[0]?.headers['if-none-match'], recorded.etag);
    } finally {
      discardBody(answer.response.body);
    }
  });

  it('with the Range of part 0, a 416 is handed over too; without it, a 416 is thrown', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    const unrecorded: ObjectVersion = { etag: undefined, lastModified: undefined };
    const status416 = { kind: 'status', status: 416 } as const;
    server.schedule(status416, status416);
    const answer = await revalidate(kit.session, unrecorded, firstPart, signal());
    assert.equal(answer.kind, 'changed');
    discardBody(answer.response.body);
    assert.equal(answer.response.status, 416);
    await assert.rejects(
      revalidate(kit.session, unrecorded, undefined, signal()),
      (error: unknown) => error instanceof RejectedError && error.details.status === 416,
    );
  });

  it('a refused signature (403) is unanswered: the caller may keep the file', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    server.schedule({ kind: 'status', status: 403 });
    const answer = await revalidate(kit.session, versionOf(server), undefined, signal());
    assert.equal(answer.kind, 'unanswered');
    assert.ok(answer.error instanceof RejectedError);
    assert.equal(answer.error.details.status, 403);
    assert.equal(server.requests.length, 1);
  });

  it('a 400 ExpiredToken (GCS) is unanswered; another 400 is thrown', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    const headers = xml;
    server.schedule(
      {
        kind: 'status',
        status: 400,
        headers,
        body: '<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>',
      },
      {
        kind: 'status',
        status: 400,
        headers,
        body: '<Error><Code>InvalidArgument</Code><Message>Bad header.</Message></Error>',
      },
    );
    const expired = await revalidate(kit.session, versionOf(server), undefined, signal());
    assert.equal(expired.kind, 'unanswered');
    await assert.rejects(
      revalidate(kit.session, versionOf(server), undefined, signal()),
      (error: unknown) => error instanceof RejectedError && error.details.status === 400,
    );
  });

  it('5xx after every retry is unanswered, and each retry was logged and counted', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(
      configFor(server.url(), server.artifact.length, { maxAttempts: 3 }),
    );
    const unavailable = { kind: 'status', status: 503 } as const;
    server.schedule(unavailable, unavailable, unavailable);
    const answer = await revalidate(kit.session, versionOf(server), undefined, signal());
    assert.equal(answer.kind, 'unanswered');
    assert.ok(answer.error instanceof FetchError);
    assert.equal(answer.error.details.status, 503);
    assert.equal(server.requests.length, 3);
    assert.deepEqual(kit.names(), ['retry', 'retry']);
    assert.deepEqual(
      kit.named('retry').map((event) => event.keptBytes),
      [0, 0],
    );
    assert.equal(kit.session.attempts, 3);
  });

  it('a server out of reach is unanswered', async () => {
    // A port that was free a moment ago: the connection is refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    await using kit = downloadKit(
      configFor(`http://127.0.0.1:${port}/app.jar`, 100, { maxAttempts: 1 }),
    );
    const answer = await revalidate(
      kit.session,
      { etag: '"v1"', lastModified: undefined },
      undefined,
      signal(),
    );
    assert.equal(answer.kind, 'unanswered');
    assert.ok(answer.error instanceof FetchError);
    assert.equal(answer.error.details.errorCode, 'ECONNREFUSED');
  });

  it('a 404 is an answer about the object: thrown, not unanswered', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    server.schedule({ kind: 'status', status: 404 });
    await assert.rejects(
      revalidate(kit.session, versionOf(server), undefined, signal()),
      (error: unknown) => error instanceof RejectedError && error.details.status === 404,
    );
  });

  it('an unexpected 2xx (204) is an answer about the object: thrown, not unanswered', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    server.schedule({ kind: 'status', status: 204 });
    await assert.rejects(
      revalidate(kit.session, versionOf(server), undefined, signal()),
      (error: unknown) => error instanceof FetchError && error.details.status === 204,
    );
  });

  it('an abort is thrown with its reason', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    const controller = new AbortController();
    const reason = new Error('stopped by the test');
    controller.abort(reason);
    await assert.rejects(
      revalidate(kit.session, versionOf(server), undefined, controller.signal),
      (error: unknown) => error === reason,
    );
    assert.equal(server.requests.length, 0);
  });
});
