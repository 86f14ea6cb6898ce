import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { downloadParts } from '../../../src/download/parts/download-parts.ts';
import { openFirstPart } from '../../../src/download/parts/first-part.ts';
import { planParts } from '../../../src/download/parts/plan.ts';
import { RejectedError } from '../../../src/errors.ts';
import { type DownloadCase, downloadCase } from '../../helpers/download-case.ts';
import type { ArtifactServer } from '../../helpers/fault-server.ts';
import { sha256Hex } from '../../helpers/tmp.ts';

const signal = () => AbortSignal.timeout(10_000);
/** The fault server's 256 KiB artifact in four parts of 64 KiB. */
const partCount = 4;

/** A fresh case: the fault server, a kit over it and an empty temp file. */
const partsCase = () => downloadCase('download-parts-');

/** The four parts, part 0 opened as a run opens it. */
async function openParts({ kit }: DownloadCase) {
  const parts = planParts(kit.target.expectedSizeBytes, partCount);
  const [firstPart] = parts;
  assert.ok(firstPart !== undefined);
  const opening = await openFirstPart(kit.session.context, firstPart, signal());
  assert.equal(opening.kind, 'parts');
  return { parts, opening };
}

/** Opens part 0 as a run does, then fetches every part on `connections` connections. */
async function inParts(run: DownloadCase, connections: number) {
  const { parts, opening } = await openParts(run);
  return downloadParts(run.session, run.temp, parts, opening, connections, signal());
}

/** A promise the test resolves with release(): a hold fault keeps a body waiting on it. */
function gate() {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { held, release };
}

/** The first byte of each request's Range, in the order they came. */
function rangeStarts(server: ArtifactServer): number[] {
  return server.requests.map((request) =>
    Number(/^bytes=(\d+)-/.exec(request.headers.range ?? '')?.[1]),
  );
}

describe('downloadParts', () => {
  it('writes every part in place: the file is the artifact and the digest is the file’s', async () => {
    await using run = await partsCase();
    const { server, kit, temp } = run;
    const outcome = await inParts(run, 2);
    assert.deepEqual(outcome, { kind: 'done', resumedBytes: 0 });
    const written = await readFile(temp.path);
    assert.deepEqual(written, server.artifact);
    assert.equal(temp.digestHex(), sha256Hex(written));
    // Two connections: parts 1-3 may reach the server in any order.
    assert.deepEqual(
      rangeStarts(server).sort((a, b) => a - b),
      [0, 65_536, 131_072, 196_608],
    );
    for (const request of server.requests.slice(1))
      assert.equal(request.headers['if-range'], server.etag);
    assert.deepEqual(kit.names(), []);
  });

  it('a part that breaks off is retried in its own loop and resumed at its own offset', async () => {
    await using run = await partsCase();
    const { server, kit, temp } = run;
    server.scheduleForRange(131_072, { kind: 'reset', afterBytes: 30_000 });
    const outcome = await inParts(run, 2);
    assert.equal(outcome.kind, 'done');
    const resumedAt = rangeStarts(server).find((start) => start > 131_072 && start < 196_608) ?? 0;
    assert.ok(resumedAt > 131_072 && resumedAt <= 131_072 + 30_000, `resumed at ${resumedAt}`);
    assert.deepEqual(outcome, { kind: 'done', resumedBytes: resumedAt - 131_072 });
    assert.deepEqual(kit.names(), ['retry', 'resume']);
    assert.equal(kit.named('retry')[0]?.part, 2);
    assert.deepEqual(
      { part: kit.named('resume')[0]?.part, offsetBytes: kit.named('resume')[0]?.offsetBytes },
      { part: 2, offsetBytes: resumedAt },
    );
    assert.equal(kit.session.attempts, 2);
    assert.deepEqual(await readFile(temp.path), server.artifact);
    assert.equal(temp.digestHex(), sha256Hex(server.artifact));
  });

  it('a part that does not come back as asked is returned as a mismatch, not thrown', async () => {
    await using run = await partsCase();
    const { server, kit } = run;
    server.scheduleForRange(196_608, { kind: 'ignore-range' });
    const outcome = await inParts(run, 1);
    assert.equal(outcome.kind, 'mismatch');
    // The URL without its query: the signature never reaches a reason.
    assert.equal(
      outcome.reason,
      `${server.origin}/artifacts/app.jar answered bytes 196608-262143 (part 3) with the whole object (200): it ignored the range, or the object changed`,
    );
    // One connection, in order: parts 0-2 were written whole before part 3 was asked for.
    assert.equal(outcome.writtenBytes, 196_608);
    assert.deepEqual(kit.names(), []);
    assert.equal(kit.session.attempts, 1);
  });

  it('a part that fails for good stops the others: no part starts after it, and its error is thrown', async () => {
    await using run = await partsCase();
    const { server, kit } = run;
    // Part 0 is held after its first bytes, so it is still under way when part 1 is refused.
    const { held, release } = gate();
    server.schedule({ kind: 'hold', afterBytes: 1_000, until: held });
    server.scheduleForRange(65_536, { kind: 'status', status: 404 });
    try {
      await assert.rejects(inParts(run, 2), (error: unknown) => {
        assert.ok(error instanceof RejectedError);
        assert.equal(error.details.status, 404);
        return true;
      });
      assert.deepEqual(rangeStarts(server), [0, 65_536]);
      assert.deepEqual(kit.names(), []);
      // Part 0 was stopped mid-body: the server saw its client go.
      await waitFor(() => server.requests[0]?.clientAborted === true);
    } finally {
      release();
    }
  });

  it('an abort of the run stops every part and is thrown with its reason', async () => {
    await using run = await partsCase();
    const { server, kit, session, temp } = run;
    const { held, release } = gate();
    // Every part is held after its first bytes: the abort finds them all under way.
    server.schedule({ kind: 'hold', afterBytes: 1_000, until: held });
    for (const firstByte of [65_536, 131_072, 196_608])
      server.scheduleForRange(firstByte, { kind: 'hold', afterBytes: 1_000, until: held });
    try {
      const { parts, opening } = await openParts(run);
      const controller = new AbortController();
      const reason = new Error('stopped by the test');
      const running = downloadParts(session, temp, parts, opening, 4, controller.signal);
      await waitFor(() => server.requests.length === 4);
      controller.abort(reason);
      await assert.rejects(running, (error: unknown) => error === reason);
      await waitFor(() => server.requests.every((request) => request.clientAborted));
      assert.deepEqual(kit.names(), []);
    } finally {
      release();
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let tries = 0; !condition(); tries += 1) {
    assert.ok(tries < 200, 'condition not met within 2 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
