/** Every flag of `runtime-loader serve`, once, with its parser and default (serveHelp describes them). */

import { parseOneOf } from '../options/choices.ts';
import { parseCount, parsePort } from '../options/counts.ts';
import { parseDurationSeconds } from '../options/durations.ts';
import { parseByteSize } from '../options/sizes.ts';
import { defaultClockSkewSeconds } from '../signing/verify-url.ts';
import { text, valueFlag } from './tool-flags.ts';

export const serveFlags = {
  dir: valueFlag('dir', text),
  secretFile: valueFlag('secret-file', text),
  host: valueFlag('host', text, '127.0.0.1'),
  port: valueFlag('port', parsePort, 8080),
  clockSkewSeconds: valueFlag('clock-skew', parseDurationSeconds, defaultClockSkewSeconds),
  ratePerConnection: valueFlag('rate-per-connection', parseByteSize),
  shutdownGraceSeconds: valueFlag('shutdown-grace', parseDurationSeconds, 10),
  maxTransfers: valueFlag('max-transfers', parseCount, 32),
  /** Defaults to --max-transfers. */
  maxTransfersPerClient: valueFlag('max-transfers-per-client', parseCount),
  retryAfterMaxSeconds: valueFlag('retry-after-max', parseDurationSeconds, 30),
  logFormat: valueFlag('log-format', parseOneOf(['json', 'text'] as const)),
};
