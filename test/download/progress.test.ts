import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ProgressReport, ProgressTracker } from '../../src/download/progress.ts';

describe('ProgressTracker', () => {
  it('reports every tenth and every interval, with rate and ETA', () => {
    let now = 0;
    const reports: ProgressReport[] = [];
    const tracker = new ProgressTracker(
      1000,
      2000,
      (report) => reports.push(report),
      () => now,
    );
    now = 100;
    tracker.update(50); // under 10% and under 2 s: silent
    assert.equal(reports.length, 0);
    now = 200;
    tracker.update(150); // crossed 10%
    assert.equal(reports.length, 1);
    now = 2300;
    tracker.update(160); // 2 s later
    assert.equal(reports.length, 2);
    assert.equal(reports[1]?.rateBytesPerSecond, Math.round(160 / 2.3));
    assert.ok((reports[1]?.etaSeconds ?? 0) > 0);
    now = 2400;
    tracker.update(1000);
    assert.equal(reports.at(-1)?.percent, 100);
  });
});
