import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseDurationSeconds,
  parseIsoTime,
  parseSecondsToMs,
} from '../../src/options/durations.ts';
import { InvalidValueError } from '../../src/options/expected.ts';

describe('parseSecondsToMs (a variable named ..._SECONDS: bare decimal seconds)', () => {
  for (const [raw, ms] of [
    ['30', 30_000],
    ['0.5', 500],
    ['0.001', 1],
    ['1.0004', 1000],
    ['2147483', 2_147_483_000],
  ] as const) {
    it(`reads ${raw} as ${ms} ms`, () => assert.equal(parseSecondsToMs(raw), ms));
  }

  for (const raw of ['', '0', '-1', '30s', ' 30', '1e3', '.5', '0.0001', '2147484']) {
    it(`refuses ${JSON.stringify(raw)}, saying what it expected`, () => {
      assert.throws(() => parseSecondsToMs(raw), {
        name: 'InvalidValueError',
        message:
          /^expected (a positive number of seconds \(e\.g\. 30 or 0\.5\)|between 0\.001 and 2147483 seconds), got /,
      });
    });
  }
});

describe('parseDurationSeconds (a flag: whole seconds with a unit)', () => {
  for (const [raw, seconds] of [
    ['90', 90],
    ['90s', 90],
    ['15m', 900],
    ['2h', 7200],
    ['7d', 604_800],
    [' 5m ', 300],
  ] as const) {
    it(`reads ${JSON.stringify(raw)} as ${seconds} s`, () =>
      assert.equal(parseDurationSeconds(raw), seconds));
  }

  for (const raw of ['0', '0s', '1.5m', '5x', 'soon', '', '-1m']) {
    it(`refuses ${JSON.stringify(raw)}`, () => {
      assert.throws(
        () => parseDurationSeconds(raw),
        (error) =>
          error instanceof InvalidValueError &&
          error.message.startsWith('expected a positive duration such as 90s, 15m, 2h or 7d, got '),
      );
    });
  }
});

describe('parseIsoTime', () => {
  it('reads an ISO 8601 time and refuses anything without its year first', () => {
    assert.equal(parseIsoTime('2026-01-31T12:00:00Z').toISOString(), '2026-01-31T12:00:00.000Z');
    assert.throws(() => parseIsoTime('tomorrow'), {
      message: 'expected an ISO 8601 time such as 2026-01-31T12:00:00Z, got "tomorrow"',
    });
    assert.throws(() => parseIsoTime('2026-13-45'), InvalidValueError);
    assert.throws(() => parseIsoTime('Jan 31 2026'), InvalidValueError);
  });
});
