// End-to-end download in parts: the built loader against the fault server on
// loopback, with the threshold lowered to the artifact's size. Every case checks
// the exit code, the bytes published (or that nothing is), what the server saw
// (ranges, If-Range, connections) and the events.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeRun, eventsNamed, finalEvent, firstEventNamed } from '../helpers/events.ts';
import type { ArtifactServer, RecordedRequest } from '../helpers/fault-server.ts';
import { assertNothingPublished, assertPublished } from '../helpers/published.ts';
import type { LoaderRun } from '../helpers/run-loader.ts';
import { scenario as makeScenario, type Scenario } from '../helpers/scenario.ts';
import { randomBytesBuffer, sha256Hex } from '../helpers/tmp.ts';

const artifactBytes = 1024 * 1024;
/** What planParts makes of 1 MiB in 4: the part starts the server will see. */
const partBytes = artifactBytes / 4;
const partStarts = [0, partBytes, 2 * partBytes, 3 * partBytes];
const rangeOf = (index: number, fromByte = index * partBytes) =>
  `bytes=${fromByte}-${(index + 1) * partBytes - 1}`;

/** In parts from exactly this size, four connections (the default). */
const inParts = { LOADER_PARALLEL_THRESHOLD_BYTES: String(artifactBytes) };

/** Attempts in the final event are 1 plus the retries of every part. */
function assertAttemptsCounted(run: LoaderRun): void {
  const final = finalEvent(run);
  assert.equal(final.exitCode, run.code, 'the final event names the exit code');
  if (final.event === 'done') {
    assert.equal(final.attempts, eventsNamed(run, 'retry').length + 1, describeRun(run));
  }
}

async function scenario(): Promise<Scenario> {
  const s = await makeScenario(assertAttemptsCounted);
  s.server.setArtifact(randomBytesBuffer(artifactBytes));
  return s;
}

function requestFor(server: ArtifactServer, range: string): RecordedRequest {
  const found = server.requests.find((request) => request.headers.range === range);
  assert.ok(found, `a request for ${range} among ${server.requests.map((r) => r.headers.range)}`);
  return found;
}

/**
 * After the parts gave up, one plain GET fetched everything on one connection. Found by its
 * missing Range, not by its place: a part request the loader had already sent when it gave
 * up can reach the server after that GET on a busy machine.
 */
function assertWholeFetchedLast(server: ArtifactServer, body: Buffer): void {
  const plain = server.requests.filter((request) => request.headers.range === undefined);
  assert.equal(
    plain.length,
    1,
    `one plain GET among ${server.requests.map((r) => r.headers.range)}`,
  );
  assert.equal(plain[0]?.status, 200);
  assert.equal(plain[0]?.bytesSent, body.length);
}

describe('parallel: a download in parts', () => {
  test('four ranges on four connections at once, byte-identical, digest of the file', async () => {
    await using s = await scenario();

    const run = await s.run({ ...inParts, ARTIFACT_SHA256: sha256Hex(s.server.artifact) });

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.equal(s.server.requests.length, 4);
    for (const [index] of partStarts.entries()) {
      const request = requestFor(s.server, rangeOf(index));
      assert.equal(request.status, 206);
      assert.equal(request.bytesSent, partBytes, `part ${index}: nothing sent twice`);
      // Part 0 is the first request: no version is known yet to ask If-Range on.
      assert.equal(request.headers['if-range'], index === 0 ? undefined : s.server.etag);
    }
    const ports = new Set(s.server.requests.map((request) => request.remotePort));
    assert.equal(ports.size, 4, 'one connection per part: a keep-alive pool reuses idle ones');
    assert.equal(firstEventNamed(run, 'parts').parts, 4);
    const done = finalEvent(run);
    assert.equal(done.event, 'done');
    assert.equal(done.sha256, sha256Hex(s.server.artifact));
    assert.equal(done.bytes, artifactBytes);
    assert.equal(done.attempts, 1);
    assert.equal(done.resumedBytes, 0);
    // Progress counts all parts together: it passes 90 %, which no single part could.
    const reported = eventsNamed(run, 'progress').map((event) => event.bytes as number);
    assert.ok(Math.max(...reported) >= 0.9 * artifactBytes, `progress: ${reported}`);
    assert.ok(reported.every((bytes) => bytes <= artifactBytes));
  });

  test('a part reset mid-way is resumed alone at its own offset, byte-identical', async () => {
    await using s = await scenario();
    const keptBytes = 100_000;
    s.server.scheduleForRange(partStarts[2] ?? 0, { kind: 'reset', afterBytes: keptBytes });

    const run = await s.run(inParts);

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.equal(s.server.requests.length, 5, 'four parts and one resume');
    const resumed = requestFor(s.server, rangeOf(2, 2 * partBytes + keptBytes));
    assert.equal(resumed.headers['if-range'], s.server.etag);
    assert.equal(resumed.status, 206);
    assert.equal(resumed.bytesSent, partBytes - keptBytes);
    const [retry, ...others] = eventsNamed(run, 'retry');
    assert.equal(others.length, 0);
    assert.equal(retry?.part, 2);
    assert.equal(retry?.attempt, 1);
    assert.equal(retry?.keptBytes, keptBytes);
    assert.equal(firstEventNamed(run, 'resume').offsetBytes, 2 * partBytes + keptBytes);
    assert.equal(eventsNamed(run, 'restart').length, 0);
    const done = finalEvent(run);
    assert.equal(done.attempts, 2);
    assert.equal(done.resumedBytes, keptBytes);
    assert.equal(done.sha256, sha256Hex(s.server.artifact));
  });

  test('a 503 on the first request is retried, then the parts go ahead', async () => {
    await using s = await scenario();
    s.server.schedule({ kind: 'status', status: 503 });

    const run = await s.run(inParts);

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.deepEqual(
      s.server.requests.slice(0, 2).map((request) => [request.headers.range, request.status]),
      [
        [rangeOf(0), 503],
        [rangeOf(0), 206],
      ],
    );
    assert.equal(s.server.requests.length, 5);
    assert.equal(eventsNamed(run, 'retry')[0]?.part, 0);
    assert.equal(finalEvent(run).attempts, 2);
  });
});

describe('parallel: an answer that breaks after its last byte', () => {
  test('a part whose bytes all arrived is not asked for again', async () => {
    await using s = await scenario();
    s.server.scheduleForRange(partStarts[1] ?? 0, { kind: 'cut-chunked' });

    const run = await s.run(inParts);

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.equal(s.server.requests.length, 4, 'no request for an empty, unsatisfiable rest');
    assert.equal(eventsNamed(run, 'retry').length, 0, 'the whole part arrived: nothing to retry');
    assert.equal(eventsNamed(run, 'restart').length, 0);
  });

  test('on one connection too: no `bytes=N-` for a file already whole', async () => {
    await using s = await scenario();
    s.server.schedule({ kind: 'cut-chunked' });

    const run = await s.run();

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.equal(s.server.requests.length, 1);
    assert.equal(finalEvent(run).attempts, 1, 'the whole body arrived: nothing to retry');
    assert.equal(eventsNamed(run, 'restart').length, 0);
  });
});

describe('parallel: more parts than connections', () => {
  test('takes the parts in order on a few kept-alive connections; the digest follows them', async () => {
    await using s = await makeScenario(assertAttemptsCounted);
    // 32 MiB on two connections: four 8 MiB parts (see partCountFor), two at a time.
    const body = randomBytesBuffer(32 * 1024 * 1024);
    s.server.setArtifact(body);
    const partSize = body.length / 4;

    const run = await s.run({
      LOADER_PARALLEL_THRESHOLD_BYTES: String(body.length),
      LOADER_CONNECTIONS: '2',
      ARTIFACT_SHA256: sha256Hex(body),
    });

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, body);
    const rangeOf = (index: number) => `bytes=${index * partSize}-${(index + 1) * partSize - 1}`;
    const answered = s.server.requests.map((request) => [
      request.headers.range,
      request.status,
      request.bytesSent,
    ]);
    // Parts 0 and 1 are sent at once on two connections, so they may reach the server in
    // either order; a later part is asked for only when one of them is done.
    const byRange = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
    assert.deepEqual(
      [...answered.slice(0, 2)].sort(byRange),
      [0, 1].map((index) => [rangeOf(index), 206, partSize]).sort(byRange),
      'the first two parts first',
    );
    assert.deepEqual(
      [...answered].sort(byRange),
      [0, 1, 2, 3].map((index) => [rangeOf(index), 206, partSize]).sort(byRange),
      'each part asked for once',
    );
    const ports = new Set(s.server.requests.map((request) => request.remotePort));
    assert.equal(ports.size, 2, 'two connections, each reused for a later part');
    assert.deepEqual(
      [firstEventNamed(run, 'parts').parts, firstEventNamed(run, 'parts').connections],
      [4, 2],
    );
    assert.equal(finalEvent(run).sha256, sha256Hex(body));
  });
});

describe('parallel: parts that do not come back as asked', () => {
  for (const [fault, reason] of [
    ['ignore-range', /whole object \(200\)/],
    ['wrong-content-range', /when 262144-524287 were asked for/],
  ] as const) {
    test(`${fault} on one part: start over on one connection, byte-identical`, async () => {
      await using s = await scenario();
      s.server.scheduleForRange(partStarts[1] ?? 0, { kind: fault });

      const run = await s.run(inParts);

      assert.equal(run.code, 0, describeRun(run));
      await assertPublished(s.target, s.server.artifact);
      const [restart, ...others] = eventsNamed(run, 'restart');
      assert.equal(others.length, 0);
      assert.equal(restart?.fallback, 'single-connection');
      assert.match(String(restart?.reason), reason);
      assertWholeFetchedLast(s.server, s.server.artifact);
      const done = finalEvent(run);
      assert.equal(done.resumedBytes, 0);
      assert.equal(done.sha256, sha256Hex(s.server.artifact));
    });
  }

  test('the object changes during the download: start over with the new version', async () => {
    await using s = await scenario();
    const oldEtag = s.server.etag;
    const newBody = randomBytesBuffer(artifactBytes);
    // The last part's request finds another object in place: its If-Range fails.
    s.server.scheduleForRange(partStarts[3] ?? 0, { kind: 'new-version', body: newBody });

    const run = await s.run(inParts);

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, newBody);
    const changed = requestFor(s.server, rangeOf(3));
    assert.equal(changed.headers['if-range'], oldEtag);
    assert.equal(changed.status, 200, 'If-Range failed: the whole new object');
    const restart = firstEventNamed(run, 'restart');
    assert.equal(restart.fallback, 'single-connection');
    assertWholeFetchedLast(s.server, newBody);
    assert.equal(finalEvent(run).sha256, sha256Hex(newBody));
  });

  test('a part that sends more than its range fails with exit 5, leaving nothing', async () => {
    await using s = await scenario();
    s.server.scheduleForRange(partStarts[1] ?? 0, { kind: 'oversize', extraBytes: 4096 });

    const run = await s.run(inParts);

    assert.equal(run.code, 5, describeRun(run));
    await assertNothingPublished(s.target);
    assert.equal(requestFor(s.server, rangeOf(1)).status, 206);
    const failed = finalEvent(run);
    assert.equal(failed.code, 'ERR_SIZE_MISMATCH');
    assert.match(String(failed.msg), /more than the 262144 bytes of part 1/);
    assert.equal(failed.attempts, 1);
  });
});

describe('parallel: when one connection is used', () => {
  test('an artifact below the threshold is fetched whole, without Range', async () => {
    await using s = await scenario();

    const run = await s.run({ LOADER_PARALLEL_THRESHOLD_BYTES: String(artifactBytes + 1) });

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.equal(s.server.requests.length, 1);
    assert.equal(s.server.requests[0]?.headers.range, undefined);
    assert.equal(eventsNamed(run, 'parts').length, 0);
  });

  test('LOADER_CONNECTIONS=1 fetches whole even above the threshold', async () => {
    await using s = await scenario();

    const run = await s.run({ ...inParts, LOADER_CONNECTIONS: '1' });

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.equal(s.server.requests.length, 1);
    assert.equal(s.server.requests[0]?.headers.range, undefined);
  });

  test('a 200 to the first request is streamed as the download: one request in all', async () => {
    await using s = await scenario();
    s.server.schedule({ kind: 'ignore-range' });

    const run = await s.run(inParts);

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.equal(s.server.requests.length, 1);
    assert.equal(s.server.requests[0]?.headers.range, rangeOf(0));
    assert.equal(s.server.requests[0]?.bytesSent, artifactBytes);
    assert.match(String(firstEventNamed(run, 'single-connection').reason), /200/);
    assert.equal(finalEvent(run).attempts, 1);
  });

  test('without a strong validator the parts could mix versions: one connection', async () => {
    await using s = await scenario();
    s.server.setArtifact(s.server.artifact, { etag: 'W/"weak"', lastModified: null });

    const run = await s.run(inParts);

    assert.equal(run.code, 0, describeRun(run));
    await assertPublished(s.target, s.server.artifact);
    assert.equal(s.server.requests.length, 2, 'the first answer is dropped, then one GET');
    assert.equal(s.server.requests[0]?.headers.range, rangeOf(0));
    assertWholeFetchedLast(s.server, s.server.artifact);
    assert.match(String(firstEventNamed(run, 'single-connection').reason), /strong validator/);
  });
});

describe('parallel: stopping', () => {
  test('SIGTERM while parts are under way exits 143 at once, leaving nothing', async () => {
    await using s = await scenario();
    for (const start of partStarts.slice(1)) {
      s.server.scheduleForRange(start, { kind: 'stall', afterBytes: 1000 });
    }
    let signalled = false;

    const run = await s.run(
      { ...inParts, LOADER_STALL_TIMEOUT_SECONDS: '30', LOADER_DEADLINE_SECONDS: '60' },
      {
        onEvent: (event, child) => {
          if (event.event === 'progress' && !signalled) {
            signalled = true;
            child.kill('SIGTERM');
          }
        },
      },
    );

    assert.equal(run.code, 143, describeRun(run));
    await assertNothingPublished(s.target);
    const failed = finalEvent(run);
    assert.equal(failed.code, 'ERR_INTERRUPTED');
    assert.ok((failed.durationMs as number) < 10_000, `${failed.durationMs} ms is not prompt`);
    assert.equal(eventsNamed(run, 'retry').length, 0);
  });
});
