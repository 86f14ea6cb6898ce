import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loaderPath } from '../../scripts/loader-process.ts';
import { type ProgressReport, ProgressTracker } from '../../src/download/progress.ts';
import { startArtifactServer } from '../helpers/fault-server.ts';
import { makeTempDir } from '../helpers/tmp.ts';

/**
 * A tracker of `totalBytes` reporting every `intervalMs` on a clock the test sets with at(ms);
 * its reports, in order.
 */
function onClock(totalBytes: number, intervalMs: number) {
  let now = 0;
  const reports: ProgressReport[] = [];
  const tracker = new ProgressTracker(
    totalBytes,
    intervalMs,
    (report) => reports.push(report),
    () => now,
  );
  return {
    tracker,
    reports,
    at: (ms: number) => {
      now = ms;
    },
  };
}

describe('ProgressTracker', () => {
  it('reports every tenth and every interval, with rate and ETA', () => {
    const { tracker, reports, at } = onClock(1000, 2000);
    at(100);
    tracker.update(50); // under 10% and under 2 s: silent
    assert.equal(reports.length, 0);
    at(200);
    tracker.update(150); // crossed 10%
    assert.equal(reports.length, 1);
    at(2300);
    tracker.update(160); // 2 s later
    assert.equal(reports.length, 2);
    assert.equal(reports[1]?.rateBytesPerSecond, Math.round(160 / 2.3));
    // 840 bytes left at 160 bytes in 2.3 s, to a tenth of a second.
    assert.equal(reports[1]?.etaSeconds, Math.round((840 / (160 / 2.3)) * 10) / 10);
    at(2400);
    tracker.update(1000);
    assert.equal(reports.at(-1)?.percent, 100);
  });

  it('begin() measures from then: the time before the download (a conditional request) does not count', () => {
    const { tracker, reports, at } = onClock(1000, 2000);
    at(5000);
    tracker.begin();
    at(5100);
    tracker.update(50); // 100 ms after begin, under 10%: silent
    assert.equal(reports.length, 0);
    at(7200);
    tracker.update(60); // 2.1 s after begin
    assert.equal(reports.length, 1);
    assert.equal(reports[0]?.rateBytesPerSecond, Math.round(60 / 2.2));
  });

  it('redraws the latest count on a tick once the interval has passed, never before the first byte', () => {
    const { tracker, reports, at } = onClock(1000, 500);
    at(600);
    tracker.tick(); // no byte yet: nothing to show
    assert.equal(reports.length, 0);
    tracker.update(10); // interval passed: reported
    assert.equal(reports.length, 1);
    at(900);
    tracker.tick(); // 300 ms since the last report: not yet
    assert.equal(reports.length, 1);
    at(1200);
    tracker.tick(); // no new byte, but time passed: the same count with a lower rate
    assert.equal(reports.length, 2);
    assert.equal(reports[1]?.bytes, 10);
    assert.ok((reports[1]?.rateBytesPerSecond ?? 0) < (reports[0]?.rateBytesPerSecond ?? 0));
    tracker.restart(0); // an attempt that starts over shows 0 again
    at(1800);
    tracker.tick();
    assert.equal(reports.at(-1)?.bytes, 0);
  });
});

/** script(1) from util-linux, which runs a command on a pseudo-terminal; undefined when missing. */
function scriptCommand(): string | undefined {
  try {
    return execFileSync('/bin/sh', ['-c', 'command -v script'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/** A POSIX shell word for a path: single-quoted, any ' inside closed and escaped. */
const shellWord = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

describe('the progress bar on a real terminal', () => {
  const totalBytes = 1_000_000;
  const slowChunkBytes = 3_000;
  const slowChunks = 31; // one every 100 ms: 93,000 bytes (9.3 %) over 3 s, then the rest at once

  it('is redrawn at least once a second from the start, each time clearing the rest of the line', async (t) => {
    const script = scriptCommand();
    if (script === undefined) {
      t.skip('SKIPPED LOUDLY: script(1) (util-linux) is not installed, so no pseudo-terminal');
      return;
    }
    await using server = await startArtifactServer();
    await using tmp = await makeTempDir('progress-tty-');
    let slowPhaseMs = 0;
    server.route('/slow.bin', (_req, res) => {
      res.writeHead(200, { 'content-length': String(totalBytes) });
      void (async () => {
        const startedAt = performance.now();
        for (let chunk = 0; chunk < slowChunks; chunk += 1) {
          if (chunk > 0) await sleep(100);
          res.write(Buffer.alloc(slowChunkBytes, 7));
        }
        await sleep(100);
        slowPhaseMs = performance.now() - startedAt;
        res.end(Buffer.alloc(totalBytes - slowChunks * slowChunkBytes, 7));
      })();
    });

    const child = spawn(
      script,
      ['-qfec', `exec ${shellWord(process.execPath)} ${shellWord(loaderPath)}`, '/dev/null'],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          ARTIFACT_URL: server.url('/slow.bin'),
          ARTIFACT_EXPECTED_SIZE: String(totalBytes),
          ARTIFACT_PATH: join(tmp.path, 'out.bin'),
          LOADER_VERIFY_JAR: 'false',
          LOADER_DEADLINE_SECONDS: '30',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    let startLineAt: number | undefined;
    let firstFrameAt: number | undefined;
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      const now = performance.now();
      if (startLineAt === undefined && / INFO {2}start: /.test(output)) startLineAt = now;
      if (firstFrameAt === undefined && /\r\[[#-]{30}\]/.test(output)) firstFrameAt = now;
    });
    // The guard's timer is cancelled once the child closes: a pending 30 s sleep would keep
    // this test file's process alive for 30 s after its last test passed.
    const guard = new AbortController();
    const [code] = (await Promise.race([
      new Promise((resolve) => child.on('close', (...args) => resolve(args))),
      sleep(30_000, undefined, { signal: guard.signal }).then(() => {
        child.kill('SIGKILL');
        throw new Error(`the loader on a terminal did not finish in 30 s:\n${output}`);
      }),
    ]).finally(() => guard.abort())) as [number | null];
    assert.equal(code, 0, output);

    // Each redraw: carriage return, the bar, then erase-in-line before the next \r (or \r\n).
    const frames = [...output.matchAll(/\r(\[[#-]{30}\][^\r\n]*)/g)].map((match) => match[1] ?? '');
    assert.ok(frames.length > 0, `no progress bar drawn:\n${JSON.stringify(output)}`);
    for (const frame of frames) {
      assert.ok(
        frame.endsWith('\x1b[K'),
        `a redraw without clear-to-end-of-line: ${JSON.stringify(frame)}`,
      );
    }
    // The slow phase lasted at least slowPhaseMs (the server paced it); frames drawn within it
    // show at most its bytes. At least one per second of it, so the bar never sits still.
    const slowPercent = (100 * slowChunks * slowChunkBytes) / totalBytes;
    const slowFrames = frames.filter((frame) => {
      const percent = Number(/\]\s+([0-9.]+)%/.exec(frame)?.[1]);
      return percent <= slowPercent;
    });
    assert.ok(slowPhaseMs >= 3000, `the server paced ${slowPhaseMs} ms`);
    assert.ok(
      slowFrames.length >= Math.floor(slowPhaseMs / 1000),
      `${slowFrames.length} redraws in ${Math.round(slowPhaseMs)} ms:\n${slowFrames.join('\n')}`,
    );
    // The bar is drawn from the start, not only once bytes pour in: its first frame shows at
    // most the slow phase's bytes (a count, not a time, so a busy machine cannot fail it).
    assert.ok(startLineAt !== undefined && firstFrameAt !== undefined, 'start line and a frame');
    assert.ok(firstFrameAt >= startLineAt, 'the start line comes before the bar');
    assert.ok(
      slowFrames[0] !== undefined && slowFrames[0] === frames[0],
      `the first frame was drawn after the slow phase: ${frames[0]}`,
    );
  });
});
