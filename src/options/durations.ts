/** Durations and times: bare decimal seconds for a variable named `..._SECONDS`, suffixed for a flag. */
import { invalidValue } from './expected.ts';

const decimalSeconds = /^[0-9]+(\.[0-9]+)?$/;

/** Positive decimal seconds such as `30` or `0.5`, returned as whole milliseconds. */
export function parseSecondsToMs(raw: string): number {
  const seconds = Number(raw);
  if (!decimalSeconds.test(raw) || !Number.isFinite(seconds) || seconds <= 0) {
    throw invalidValue('a positive number of seconds (e.g. 30 or 0.5)', raw);
  }
  const ms = Math.round(seconds * 1000);
  if (ms < 1 || ms > 2_147_483_647) throw invalidValue('between 0.001 and 2147483 seconds', raw);
  return ms;
}

const secondsPerUnit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90`, `90s`, `15m`, `2h`, `7d` as whole seconds. */
export function parseDurationSeconds(raw: string): number {
  const match = /^([0-9]+)(s|m|h|d)?$/.exec(raw.trim());
  const seconds =
    match === null ? Number.NaN : Number(match[1]) * (secondsPerUnit[match[2] ?? 's'] ?? 1);
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw invalidValue('a positive duration such as 90s, 15m, 2h or 7d', raw);
  }
  return seconds;
}

/** An ISO 8601 time with its year first, such as `2026-01-31T12:00:00Z`. */
export function parseIsoTime(raw: string): Date {
  const at = new Date(raw);
  if (!/^[0-9]{4}-/.test(raw) || Number.isNaN(at.getTime())) {
    throw invalidValue('an ISO 8601 time such as 2026-01-31T12:00:00Z', raw);
  }
  return at;
}
