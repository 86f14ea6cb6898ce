// End-to-end resilience (issue 3): the built loader runs as a child process against
// the fault server on loopback. Every case checks the exit code, what is on disk
// (the exact bytes, or nothing at all: no target, no temp file) and what the server
// saw (requests, Range / If-Range), plus the retry and final events.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { describeRun, eventsNamed, finalEvent } from '../helpers/events.ts';
import { type ArtifactServer, fakeSignature } from '../helpers/fault-server.ts';
import { assertNothingPublished, assertPublished } from '../helpers/published.ts';
import type { LoaderRun } from '../helpers/run-loader.ts';
import { scenario as makeScenario } from '../helpers/scenario.ts';
import { randomBytesBuffer, sha256Hex } from '../helpers/tmp.ts';

/** The server's default artifact is 256 KiB; resets land at its first, a middle and its last byte. */
const artifactBytes = 256 * 1024;
const middleOffset = 100_000;

/** The resilience scenario: every run's retry and final events are checked too. */
const scenario = () => makeScenario(assertWellFormedEvents);

/** Every retry event says which attempt failed, why, how long it waits and what it keeps. */
function assertWellFormedEvents(run: LoaderRun): void {
  const retries = eventsNamed(run, 'retry');
  retries.forEach((event, index) => {
    assert.equal(event.attempt, index + 1, `retry events count attempts: ${JSON.stringify(event)}`);
    assert.equal(typeof event.reason, 'string');
    assert.notEqual(event.reason, '');
    assert.ok(Number.isInteger(event.delayMs) && (event.delayMs as number) >= 0);
    assert.ok(Number.isInteger(event.keptBytes) && (event.keptBytes as number) >= 0);
  });
  const final = finalEvent(run);
  assert.equal(final.exitCode, run.code, 'the final event names the exit code');
  if (final.event === 'done') {
    assert.equal(final.attempts, retries.length + 1);
    assert.ok(Number.isInteger(final.resumedBytes));
  }
}

function header(server: ArtifactServer, index: number, name: string): unknown {
  const request = server.requests[index];
  assert.ok(request, `request #${index + 1} was made`);
  return request.headers[name];
}

describe('resilience: resume after a broken connection', () => {
  for (const [label, offset] of [
    ['the first byte', 0],
    ['the middle', middleOffset],
    ['the last byte', artifactBytes - 1],
  ] as const) {
    test(`a reset at ${label} (offset ${offset}) completes byte-identical`, async () => {
      await using s = await scenario();
      assert.equal(s.server.artifact.length, artifactBytes);
      s.server.schedule({ kind: 'reset', afterBytes: offset });

      const run = await s.run();

      assert.equal(run.code, 0, describeRun(run));
      await assertPublished(s.target, s.server.artifact);
      assert.equal(s.server.requests.length, 2);
      assert.equal(header(s.server, 0, 'range'), undefined);
      // An RST discards what the loader had not yet read, so on a loaded machine it may keep
      // less than the server sent; everything below follows from what it did keep.
      const [retry] = eventsNamed(run, 'retry');
      const kept = Number(retry?.keptBytes);
      assert.ok(kept >= 0 && kept <= offset, `kept ${kept} of the ${offset} bytes sent`);
      if (kept === 0) {
        // Nothing kept: the second request is a plain GET again, not `bytes=0-`.
        assert.equal(header(s.server, 1, 'range'), undefined);
        assert.equal(s.server.requests[1]?.status, 200);
      } else {
        assert.equal(header(s.server, 1, 'range'), `bytes=${kept}-`);
        assert.equal(header(s.server, 1, 'if-range'), s.server.etag);
        assert.equal(s.server.requests[1]?.status, 206);
        assert.equal(s.server.requests[1]?.bytesSent, artifactBytes - kept);
      }
      const done = finalEvent(run);
      assert.equal(done.event, 'done');
      assert.equal(done.attempts, 2);
      assert.equal(done.resumedBytes, kept);
      assert.equal(done.sha256, sha256Hex(s.server.artifact));
    });
  }

  test('a stall mid-body hits the stall timeout, then resumes byte-identical', async () => {
    await using s = await scenario();
    s.server.schedule({ kind: 'stall', afterBytes: middleOffset });

    const run = await s.run();

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.equal(s.server.requests.length, 2);
    assert.equal(s.server.requests[0]?.clientAborted, true, 'the loader gave up on the stall');
    assert.equal(header(s.server, 1, 'range'), `bytes=${middleOffset}-`);
    assert.equal(header(s.server, 1, 'if-range'), s.server.etag);
    const retries = eventsNamed(run, 'retry');
    assert.equal(retries.length, 1);
    assert.match(String(retries[0]?.reason), /stall timeout/);
    assert.equal(retries[0]?.keptBytes, middleOffset);
    assert.equal(finalEvent(run).resumedBytes, middleOffset);
  });

  test('a clean close (FIN) mid-body also resumes', async () => {
    await using s = await scenario();
    s.server.schedule({ kind: 'close', afterBytes: middleOffset });

    const run = await s.run();

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.equal(header(s.server, 1, 'range'), `bytes=${middleOffset}-`);
    assert.equal(finalEvent(run).resumedBytes, middleOffset);
  });
});

describe('resilience: which validator a resume rests on', () => {
  test('without an ETag, the resume uses Last-Modified in If-Range', async () => {
    await using s = await scenario();
    s.server.setArtifact(s.server.artifact, { etag: null });
    s.server.schedule({ kind: 'reset', afterBytes: middleOffset });

    const run = await s.run();

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.equal(header(s.server, 1, 'range'), `bytes=${middleOffset}-`);
    assert.equal(header(s.server, 1, 'if-range'), s.server.lastModified);
    assert.equal(s.server.requests[1]?.status, 206);
    assert.equal(finalEvent(run).resumedBytes, middleOffset);
  });

  test('with only a weak ETag nothing proves the version: the kept bytes are dropped', async () => {
    await using s = await scenario();
    s.server.setArtifact(s.server.artifact, { etag: 'W/"v1"', lastModified: null });
    s.server.schedule({ kind: 'reset', afterBytes: middleOffset });

    const run = await s.run();

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.equal(header(s.server, 1, 'range'), undefined, 'no Range without a strong validator');
    assert.equal(header(s.server, 1, 'if-range'), undefined);
    const [restart] = eventsNamed(run, 'restart');
    assert.equal(restart?.discardedBytes, middleOffset);
    assert.equal(finalEvent(run).resumedBytes, 0);
  });
});

describe('resilience: transient statuses and Retry-After', () => {
  test('503 with Retry-After: 1 then 200 succeeds after waiting the second asked for', async () => {
    await using s = await scenario();
    s.server.schedule({ kind: 'status', status: 503, headers: { 'retry-after': '1' } });

    const run = await s.run();

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.deepEqual(
      s.server.requests.map((request) => request.status),
      [503, 200],
    );
    const retries = eventsNamed(run, 'retry');
    assert.equal(retries.length, 1);
    assert.equal(retries[0]?.delayMs, 1000, 'Retry-After replaces the jittered backoff');
    assert.equal(retries[0]?.status, 503);
    assert.equal(retries[0]?.keptBytes, 0);
    assert.equal(finalEvent(run).attempts, 2);
  });

  test('429 with an HTTP-date Retry-After two seconds ahead is honoured', async () => {
    await using s = await scenario();
    // Answered by a route, so the date is computed when the request arrives, not at schedule time.
    let calls = 0;
    s.server.route('/limited/app.jar', (_req, res) => {
      calls += 1;
      if (calls === 1) {
        res.writeHead(429, { 'retry-after': new Date(Date.now() + 2000).toUTCString() });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-length': String(s.server.artifact.length) });
      res.end(s.server.artifact);
    });

    const run = await s.run({
      ARTIFACT_URL: s.server.url(`/limited/app.jar?sig=${fakeSignature}`),
      // Above the date's distance, so the cap cannot hide how the date was read.
      LOADER_BACKOFF_MAX_SECONDS: '5',
    });

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.equal(calls, 2);
    const [retry, ...others] = eventsNamed(run, 'retry');
    assert.equal(others.length, 0);
    assert.equal(retry?.status, 429);
    const delayMs = retry?.delayMs as number;
    // More than the jitter ceiling (50 ms), so it came from the date; never more than the 2 s asked.
    assert.ok(delayMs > 50 && delayMs <= 2000, `delayMs ${delayMs} should be in (50, 2000]`);
  });

  test('an expired signature (403) after a transient 503 fails at once with exit 3', async () => {
    await using s = await scenario();
    s.server.schedule(
      { kind: 'status', status: 503 },
      { kind: 'status', status: 403, body: 'Request has expired' },
    );

    const run = await s.run();

    assert.equal(run.code, 3, describeRun(run));
    await assertNothingPublished(s.target);
    assert.equal(s.server.requests.length, 2, 'a 403 is not retried');
    const failed = finalEvent(run);
    assert.equal(failed.event, 'failed');
    assert.equal(failed.code, 'ERR_REJECTED');
    assert.equal(failed.status, 403);
    assert.equal(failed.attempts, 2);
    assert.match(String(failed.msg), /403.*expired/);
    assert.equal(eventsNamed(run, 'retry').length, 1);
  });
});

describe('resilience: resuming only when it is provably safe', () => {
  test('a server that ignores Range (200) makes the loader start over', async () => {
    await using s = await scenario();
    s.server.schedule({ kind: 'reset', afterBytes: middleOffset }, { kind: 'ignore-range' });

    const run = await s.run();

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.equal(s.server.requests.length, 2);
    assert.equal(header(s.server, 1, 'range'), `bytes=${middleOffset}-`);
    assert.equal(s.server.requests[1]?.status, 200);
    const [restart, ...others] = eventsNamed(run, 'restart');
    assert.equal(others.length, 0);
    assert.equal(restart?.discardedBytes, middleOffset);
    assert.equal(finalEvent(run).resumedBytes, 0, 'nothing was resumed in the end');
  });

  test('an ETag that changes between attempts means starting over with the new body', async () => {
    await using s = await scenario();
    const oldEtag = s.server.etag;
    const newBody = randomBytesBuffer(artifactBytes);
    // The 503 in between leaves a second of Retry-After for the new version to be put in place.
    s.server.schedule(
      { kind: 'reset', afterBytes: middleOffset },
      { kind: 'status', status: 503, headers: { 'retry-after': '1' } },
    );

    const run = await s.run(
      {},
      {
        onEvent: (event) => {
          if (event.event === 'retry' && event.attempt === 1) s.server.setArtifact(newBody);
        },
      },
    );

    assert.equal(run.code, 0, describeRun(run));
    assert.notEqual(s.server.etag, oldEtag);
    await assertPublished(s.target, newBody);
    assert.equal(s.server.requests.length, 3);
    assert.equal(header(s.server, 2, 'range'), `bytes=${middleOffset}-`);
    assert.equal(header(s.server, 2, 'if-range'), oldEtag, 'resumes against the old version');
    assert.equal(s.server.requests[2]?.status, 200, 'If-Range failed: the whole new object');
    assert.equal(eventsNamed(run, 'restart').length, 1);
    assert.equal(finalEvent(run).sha256, sha256Hex(newBody));
  });

  test('a 206 with the wrong Content-Range is refused and the download starts over', async () => {
    await using s = await scenario();
    s.server.schedule({ kind: 'reset', afterBytes: middleOffset }, { kind: 'wrong-content-range' });

    const run = await s.run();

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.equal(s.server.requests.length, 3);
    assert.equal(header(s.server, 1, 'range'), `bytes=${middleOffset}-`);
    assert.equal(s.server.requests[1]?.status, 206);
    assert.equal(header(s.server, 2, 'range'), undefined, 'the third request starts from zero');
    assert.equal(s.server.requests[2]?.status, 200);
    assert.equal(eventsNamed(run, 'restart').length, 1);
    const retries = eventsNamed(run, 'retry');
    assert.match(String(retries[1]?.reason), /resume refused/);
    assert.equal(retries[1]?.keptBytes, 0, 'the refused bytes were thrown away');
    assert.equal(finalEvent(run).resumedBytes, 0);
  });

  test('a body longer than expected while resuming stops with exit 5 and no file', async () => {
    await using s = await scenario();
    s.server.schedule(
      { kind: 'reset', afterBytes: middleOffset },
      { kind: 'oversize', extraBytes: 4096 },
    );

    const run = await s.run();

    assert.equal(run.code, 5, describeRun(run));
    await assertNothingPublished(s.target);
    assert.equal(s.server.requests.length, 2, 'a size mismatch is not retried');
    assert.equal(header(s.server, 1, 'range'), `bytes=${middleOffset}-`);
    assert.equal(s.server.requests[1]?.status, 206);
    const failed = finalEvent(run);
    assert.equal(failed.code, 'ERR_SIZE_MISMATCH');
    assert.equal(failed.attempts, 2);
    assert.match(String(failed.msg), /more than the expected/);
  });
});

describe('resilience: failures that end the run', () => {
  test('a redirect loop fails with exit 4 and "too many redirects"', async () => {
    await using s = await scenario();
    const redirectTo = (location: string) => (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(302, { location });
      res.end();
    };
    s.server.route('/a', redirectTo(`/b?sig=${fakeSignature}`));
    s.server.route('/b', redirectTo(`/a?sig=${fakeSignature}`));

    const run = await s.run({ ARTIFACT_URL: s.server.url(`/a?sig=${fakeSignature}`) });

    assert.equal(run.code, 4, describeRun(run));
    await assertNothingPublished(s.target);
    // The first request and five redirects (the loader's limit), then it gives up; no retry.
    assert.equal(s.server.requests.length, 6);
    assert.equal(eventsNamed(run, 'retry').length, 0);
    // It names where the run started (the last hop was /b) and how many hops it followed.
    assert.equal(
      finalEvent(run).msg,
      `too many redirects: gave up after 5 redirects starting from ${s.server.origin}/a (a redirect loop?)`,
    );
  });

  test('connection refused every time: exit 4 after LOADER_MAX_ATTEMPTS attempts', async () => {
    await using s = await scenario();
    const port = await closedPort();

    const run = await s.run({
      ARTIFACT_URL: `http://127.0.0.1:${port}/app.jar?sig=${fakeSignature}`,
      LOADER_MAX_ATTEMPTS: '3',
    });

    assert.equal(run.code, 4, describeRun(run));
    await assertNothingPublished(s.target);
    const retries = eventsNamed(run, 'retry');
    assert.equal(retries.length, 2, 'attempts - 1 retries');
    for (const retry of retries) assert.equal(retry.errorCode, 'ECONNREFUSED');
    const failed = finalEvent(run);
    assert.equal(failed.attempts, 3);
    assert.match(String(failed.msg), /connection refused/);
    assert.ok((failed.durationMs as number) < 10_000, 'within the deadline');
  });

  test('a host name that does not resolve (.invalid) fails with exit 4', async () => {
    await using s = await scenario();

    const run = await s.run({
      ARTIFACT_URL: `http://artifact.invalid/app.jar?sig=${fakeSignature}`,
      LOADER_MAX_ATTEMPTS: '2',
    });

    // A resolver that answers says ENOTFOUND (not retried); one that is unreachable
    // says EAI_AGAIN (retried once here). Either way: exit 4, naming DNS.
    assert.equal(run.code, 4, describeRun(run));
    await assertNothingPublished(s.target);
    assert.match(String(finalEvent(run).msg), /DNS/);
    assert.ok(String(finalEvent(run).msg).includes('http://artifact.invalid/app.jar'));
  });

  test('a deadline shorter than the transfer ends the run in time, leaving nothing', async () => {
    await using s = await scenario();
    // 256 KiB at 1 KiB per 50 ms would take about 13 s.
    s.server.schedule({ kind: 'slow', bytesPerChunk: 1024, delayMs: 50 });
    const deadlineMs = 1500;

    const run = await s.run({ LOADER_DEADLINE_SECONDS: String(deadlineMs / 1000) });

    assert.equal(run.code, 4, describeRun(run));
    await assertNothingPublished(s.target);
    const failed = finalEvent(run);
    assert.equal(failed.code, 'ERR_DEADLINE');
    assert.match(String(failed.msg), /LOADER_DEADLINE_SECONDS/);
    assert.ok((failed.durationMs as number) >= deadlineMs - 50, 'did not stop early');
    // Generous for two busy cores (the timings themselves belong in the bench), and still far
    // below the 13 s the transfer would take if the deadline did not cut it.
    assert.ok((failed.durationMs as number) < deadlineMs + 4000, `${failed.durationMs} ms`);
    // The process itself, Node's start-up included, is gone soon after.
    assert.ok(run.durationMs < deadlineMs + 7000, `the process took ${run.durationMs} ms`);
    assert.equal(s.server.requests.length, 1);
    assert.ok((s.server.requests[0]?.bytesSent ?? 0) < artifactBytes, 'the transfer was cut');
  });

  test('SIGTERM during a 30 s backoff sleep exits 143 at once, leaving nothing', async () => {
    await using s = await scenario();
    s.server.schedule({ kind: 'status', status: 503, headers: { 'retry-after': '30' } });

    const run = await s.run(
      { LOADER_BACKOFF_MAX_SECONDS: '60', LOADER_DEADLINE_SECONDS: '120' },
      {
        onEvent: (event, child) => {
          if (event.event === 'retry') child.kill('SIGTERM');
        },
      },
    );

    assert.equal(run.code, 143, describeRun(run));
    await assertNothingPublished(s.target);
    const [retry] = eventsNamed(run, 'retry');
    assert.equal(retry?.delayMs, 30_000, 'it was in the 30 s sleep');
    const failed = finalEvent(run);
    assert.equal(failed.code, 'ERR_INTERRUPTED');
    assert.ok((failed.durationMs as number) < 10_000, `${failed.durationMs} ms is not prompt`);
    assert.equal(s.server.requests.length, 1);
  });
});

/** A port on 127.0.0.1 where nothing listens: bound by a server that is closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

// Regressions: both were found by these tests and fixed in the loader.
describe('resilience: outcome fields', () => {
  test('after a restart, resumedBytes no longer counts the bytes that were thrown away', async () => {
    await using s = await scenario();
    s.server.schedule(
      { kind: 'reset', afterBytes: 1000 },
      { kind: 'reset', afterBytes: 5000 },
      { kind: 'ignore-range' },
    );

    const run = await s.run();

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.equal(s.server.requests[2]?.status, 200, 'attempt 3 downloaded the whole object');
    assert.equal(eventsNamed(run, 'restart')[0]?.discardedBytes, 6000);
    // Every byte of the published file came from attempt 3: none was resumed.
    assert.equal(finalEvent(run).resumedBytes, 0);
  });

  test('after two resumes, resumedBytes is what the final attempt did not fetch', async () => {
    await using s = await scenario();
    s.server.schedule({ kind: 'reset', afterBytes: 1000 }, { kind: 'reset', afterBytes: 5000 });

    const run = await s.run();

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.equal(s.server.requests[2]?.headers.range, 'bytes=6000-');
    assert.equal(finalEvent(run).resumedBytes, 6000);
    assert.equal(finalEvent(run).attempts, 3);
  });

  test('the failed event of a run cut by the deadline says how many attempts it made', async () => {
    await using s = await scenario();
    s.server.schedule(
      { kind: 'status', status: 503 },
      { kind: 'slow', bytesPerChunk: 1024, delayMs: 50 },
    );

    const run = await s.run({ LOADER_DEADLINE_SECONDS: '1.5' });

    assert.equal(run.code, 4, describeRun(run));
    await assertNothingPublished(s.target);
    const failed = finalEvent(run);
    assert.equal(failed.code, 'ERR_DEADLINE');
    assert.equal(s.server.requests.length, 2);
    assert.equal(failed.attempts, 2);
    // The reason of the attempt before the cut, in the one line a consumer may keep.
    assert.match(String(failed.msg), /LOADER_DEADLINE_SECONDS\); the last attempt failed: .*503/);
    assert.match(String(failed.lastFailure), /503/);
  });
});
