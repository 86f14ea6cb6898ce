// The `failed` event lists its fields in the order it always has: what the
// error was made with, then the run's attempts, then what was added on the way
// out (lastFailure, bytes). The attempts are counted by the session and told at
// the end of the run; their place in the line must not move with that.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeRun, finalEvent } from '../helpers/events.ts';
import { scenario } from '../helpers/scenario.ts';
import { randomBytesBuffer } from '../helpers/tmp.ts';

const artifactBytes = 1024 * 1024;
const partBytes = artifactBytes / 4;

/** The field names of the final event, without the line's own (ts, level, event, msg) and timings. */
function fieldOrder(event: Record<string, unknown>): string[] {
  const own = new Set(['ts', 'level', 'event', 'msg', 'durationMs', 'startupMs', 'peakRssBytes']);
  return Object.keys(event).filter((key) => !own.has(key));
}

describe('failed event: the order of its fields', () => {
  test('a signal during a backoff wait: attempts, then the last failure, then bytes', async () => {
    await using s = await scenario();
    s.server.schedule({ kind: 'status', status: 503, headers: { 'retry-after': '30' } });

    const run = await s.run(
      { LOADER_BACKOFF_MAX_SECONDS: '60', LOADER_DEADLINE_SECONDS: '120' },
      { onEvent: (event, child) => event.event === 'retry' && child.kill('SIGTERM') },
    );

    assert.equal(run.code, 143, describeRun(run));
    assert.deepEqual(fieldOrder(finalEvent(run)), [
      'outcome',
      'exitCode',
      'code',
      'attempts',
      'lastFailure',
      'bytes',
    ]);
  });

  test('a part refused for good: attempts, then bytes; in text too', async () => {
    await using s = await scenario();
    s.server.setArtifact(randomBytesBuffer(artifactBytes));
    s.server.scheduleForRange(2 * partBytes, { kind: 'status', status: 404 });
    const inParts = { LOADER_PARALLEL_THRESHOLD_BYTES: String(artifactBytes) };

    const run = await s.run(inParts);

    assert.equal(run.code, 3, describeRun(run));
    assert.deepEqual(fieldOrder(finalEvent(run)), [
      'outcome',
      'exitCode',
      'code',
      'status',
      'attempts',
      'bytes',
    ]);
    s.server.scheduleForRange(2 * partBytes, { kind: 'status', status: 404 });
    const text = await s.run({ ...inParts, LOADER_LOG_FORMAT: 'text' });
    assert.equal(text.code, 3, describeRun(text));
    assert.match(text.stdout, / status=404 attempts=1 bytes=\d+/);
  });
});
