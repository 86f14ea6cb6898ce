/** Every flag of `runtime-loader serve`, once, with its parser and default (serveHelp describes them). */

import { parseOneOf } from '../options/choices.ts';
import { parseCount, parsePort } from '../options/counts.ts';
import { parseDurationSeconds } from '../options/durations.ts';
import { invalidValue } from '../options/expected.ts';
import { parseByteSize } from '../options/sizes.ts';
import { defaultClockSkewSeconds } from '../urls/verify-url.ts';
import { text, valueFlag } from './tool-flags.ts';

/**
 * A duration a timer is set to: at most a day. Node's timers hold at most
 * 24.8 days, and a longer one fires at once instead, which would cut every
 * connection at the first chance.
 */
function parseTimerSeconds(raw: string): number {
  const seconds = parseDurationSeconds(raw);
  if (seconds > 86_400) throw invalidValue('a positive duration of at most 1d', raw);
  return seconds;
}

export const serveFlags = {
  dir: valueFlag('dir', text),
  secretFile: valueFlag('secret-file', text),
  host: valueFlag('host', text, '127.0.0.1'),
  port: valueFlag('port', parsePort, 8080),
  clockSkewSeconds: valueFlag('clock-skew', parseDurationSeconds, defaultClockSkewSeconds),
  ratePerConnection: valueFlag('rate-per-connection', parseByteSize),
  shutdownGraceSeconds: valueFlag('shutdown-grace', parseTimerSeconds, 10),
  maxTransfers: valueFlag('max-transfers', parseCount, 32),
  /** Defaults to perClientDefault(--max-transfers). */
  maxTransfersPerClient: valueFlag('max-transfers-per-client', parseCount),
  sendTimeoutSeconds: valueFlag('send-timeout', parseTimerSeconds, 60),
  retryAfterMaxSeconds: valueFlag('retry-after-max', parseDurationSeconds, 30),
  logFormat: valueFlag('log-format', parseOneOf(['json', 'text'] as const)),
};

/**
 * A quarter of --max-transfers, at least 1: one client address (one slow or
 * hostile reader, one host's retries) cannot take every slot by default.
 */
export function perClientDefault(maxTransfers: number): number {
  return Math.max(1, Math.floor(maxTransfers / 4));
}
