import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteSources } from '../../src/download/target.ts';
import { FetchError, RejectedError } from '../../src/errors.ts';
import { configFor, downloadKit } from '../helpers/download-kit.ts';

// No request is made here: the session's loops run operations that fail as attempts do.
const url = 'http://127.0.0.1:9/artifacts/app.jar';
const signal = () => AbortSignal.timeout(5_000);
const transient = (message: string) =>
  new FetchError(message, { transient: true, details: { status: 503 } });

describe('DownloadSession', () => {
  it('counts 1 plus every retry event, across the first-bytes loop and new loops', async () => {
    await using kit = downloadKit(configFor(url, 100, { maxAttempts: 3 }));
    const { session } = kit;
    assert.equal(session.attempts, 1);
    assert.equal(session.requested, false);
    let failures = 2;
    const first = await session.firstRequestLoop.run(
      async () => {
        if (failures-- > 0) throw transient('server answered 503');
        return 'first';
      },
      signal(),
      session.onRetry({ keptBytes: () => 7 }),
    );
    assert.equal(first, 'first');
    let partFailures = 1;
    await session.newLoop().run(
      async () => {
        if (partFailures-- > 0) throw transient('part broke off');
      },
      signal(),
      session.onRetry({ part: 2, keptBytes: () => 11 }),
    );
    const retries = kit.named('retry');
    assert.equal(retries.length, 3);
    assert.equal(session.attempts, 1 + retries.length);
    assert.equal(session.requested, true);
    assert.deepEqual(
      retries.map(({ attempt, part, keptBytes, reason, status, level }) => ({
        attempt,
        part,
        keptBytes,
        reason,
        status,
        level,
      })),
      [
        {
          attempt: 1,
          part: undefined,
          keptBytes: 7,
          reason: 'server answered 503',
          status: 503,
          level: 'warn',
        },
        {
          attempt: 2,
          part: undefined,
          keptBytes: 7,
          reason: 'server answered 503',
          status: 503,
          level: 'warn',
        },
        {
          attempt: 1,
          part: 2,
          keptBytes: 11,
          reason: 'part broke off',
          status: 503,
          level: 'warn',
        },
      ],
    );
    assert.match(
      retries[2]?.msg ?? '',
      /^attempt 1 of part 2 failed, retrying in \d+ ms: part broke off$/,
    );
    assert.equal(retries[0]?.errorCode, 'ERR_FETCH');
  });

  it('a paced attempt is a retry event of its own kind: counted in attempts, not in LOADER_MAX_ATTEMPTS', async () => {
    await using kit = downloadKit(configFor(url, 100, { maxAttempts: 1 }));
    const { session } = kit;
    let paced = 2;
    await session.firstRequestLoop.run(
      async () => {
        if (paced-- > 0)
          throw new FetchError('server answered 503', {
            transient: true,
            retryAfterMs: 0,
            details: { status: 503 },
          });
      },
      signal(),
      session.onRetry(),
    );
    const retries = kit.named('retry');
    assert.deepEqual(
      retries.map((event) => event.paced),
      [true, true],
    );
    assert.match(
      retries[0]?.msg ?? '',
      /^attempt 1 was paced by the server \(not counted against LOADER_MAX_ATTEMPTS\), retrying in \d+ ms: server answered 503$/,
    );
    assert.equal(session.attempts, 3, '1 plus every retry event');
  });

  it('the first-bytes loop keeps its count: a later run of it goes on from the last attempt', async () => {
    await using kit = downloadKit(configFor(url, 100, { maxAttempts: 2 }));
    const { session } = kit;
    let failures = 1;
    await session.firstRequestLoop.run(
      async () => {
        if (failures-- > 0) throw transient('first answer failed');
      },
      signal(),
      session.onRetry(),
    );
    // Attempt 2 of 2 was the last: the download that takes the answer over has no retry left.
    await assert.rejects(
      session.firstRequestLoop.run(
        async () => {
          throw transient('still failing');
        },
        signal(),
        session.onRetry(),
      ),
      (error: unknown) => error instanceof FetchError && error.message === 'still failing',
    );
    assert.equal(kit.named('retry').length, 1);
    assert.equal(session.attempts, 2);
  });

  it('a permanent failure is not a retry: attempts stays 1, but a request was made', async () => {
    await using kit = downloadKit(configFor(url, 100));
    const { session } = kit;
    await assert.rejects(
      session.newLoop().run(
        async () => {
          throw new RejectedError('server rejected the request with 404');
        },
        signal(),
        session.onRetry(),
      ),
      RejectedError,
    );
    assert.deepEqual(kit.names(), []);
    assert.equal(session.attempts, 1);
    assert.equal(session.requested, true);
  });

  it('a run stopped before its first attempt made no request', async () => {
    await using kit = downloadKit(configFor(url, 100));
    const { session } = kit;
    const controller = new AbortController();
    controller.abort(new Error('stopped'));
    await assert.rejects(
      session.firstRequestLoop.run(async () => 'never', controller.signal, session.onRetry()),
      /stopped/,
    );
    assert.equal(session.requested, false);
    assert.equal(session.attempts, 1);
  });

  it('the headers of a 200 that begins the file become the version; the context carries the config', async () => {
    await using kit = downloadKit(configFor(url, 100, { maxRedirects: 3 }));
    const { session } = kit;
    assert.deepEqual(session.version, { etag: undefined, lastModified: undefined });
    session.context.onWholeObject({
      etag: '"v7"',
      'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT',
    });
    assert.deepEqual(session.version, {
      etag: '"v7"',
      lastModified: 'Wed, 01 Jan 2025 00:00:00 GMT',
    });
    assert.equal(session.context.maxRedirects, 3);
    assert.equal(session.context.expectedSizeBytes, 100);
    assert.equal(session.context.source.url.href, url);
  });
});

describe('DownloadSession.fromSources', () => {
  /** A target with a mirror before the URL: the kit's session, aimed at it. */
  function withMirror(kit: ReturnType<typeof downloadKit>) {
    const origin = kit.target.sources.current;
    const mirror = { ...origin, url: new URL('http://127.0.0.1:9/mirror.jar'), mirror: 'm:1' };
    const dropped: string[] = [];
    const sources = new ByteSources([mirror, origin], (_gone, error) =>
      dropped.push(error.message),
    );
    kit.session.aim({ ...kit.target, sources });
    return { mirror, origin, dropped };
  }

  it('a mirror that fails: dropped, and the same attempt asks the next source at once, no retry counted', async () => {
    await using kit = downloadKit(configFor(url, 100));
    const { mirror, origin, dropped } = withMirror(kit);
    const asked: URL[] = [];
    const result = await kit.session.firstRequestLoop.run(
      () =>
        kit.session.fromSources(async (context) => {
          asked.push(context.source.url);
          if (context.source === mirror) throw new RejectedError('404 from the mirror');
          return 'from the origin';
        }, signal()),
      signal(),
      kit.session.onRetry(),
    );
    assert.equal(result, 'from the origin');
    assert.deepEqual(asked, [mirror.url, origin.url]);
    assert.deepEqual(dropped, ['404 from the mirror']);
    assert.equal(kit.session.attempts, 1);
    assert.deepEqual(kit.named('retry'), []);
  });

  it("the origin's failure is the attempt's; an abort is never a mirror's fault", async () => {
    await using kit = downloadKit(configFor(url, 100));
    const { dropped } = withMirror(kit);
    const controller = new AbortController();
    await assert.rejects(
      kit.session.fromSources(async () => {
        controller.abort(new Error('SIGTERM'));
        throw new FetchError('aborted');
      }, controller.signal),
      /aborted/,
    );
    assert.deepEqual(dropped, [], 'the mirror stays');
    await assert.rejects(
      kit.session.fromSources(async (context) => {
        throw new FetchError(`${context.source.mirror ?? 'origin'} failed`);
      }, signal()),
      /origin failed/,
    );
  });

  it('notes a source as having sent bytes when it reports some', async () => {
    await using kit = downloadKit(configFor(url, 100));
    const { mirror } = withMirror(kit);
    await kit.session.fromSources(async (context) => context.onBytes(10), signal());
    assert.deepEqual(kit.session.target.sources.mirrorsAsked(), [mirror]);
  });
});
