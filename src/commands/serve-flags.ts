/** Every flag of `runtime-loader serve`, once: its parser, default and description; --help comes from here. */
import { defaults } from '../config/defaults.ts';
import { parseOneOf } from '../options/choices.ts';
import { parseCount, parsePort } from '../options/counts.ts';
import { parseDurationSeconds } from '../options/durations.ts';
import { invalidValue } from '../options/expected.ts';
import { parseByteSize } from '../options/sizes.ts';
import { defaultClockSkewSeconds } from '../urls/verify-url.ts';
import { text, toolHelp, valueFlag } from './tool.ts';

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
  dir: valueFlag('dir', text, { valueName: 'DIR', description: 'folder to serve', required: true }),
  secretFile: valueFlag('secret-file', text, {
    valueName: 'FILE',
    description: 'signing secrets, one per line; the first signs, all verify',
    required: true,
  }),
  host: valueFlag('host', text, {
    valueName: 'HOST',
    description: 'address to listen on',
    defaultAsWritten: '127.0.0.1',
  }),
  port: valueFlag('port', parsePort, {
    valueName: 'PORT',
    description: 'port to listen on; 0 picks a free one',
    defaultAsWritten: '8080',
  }),
  clockSkewSeconds: valueFlag('clock-skew', parseDurationSeconds, {
    valueName: 'DURATION',
    description: 'accept URLs this long past expiry, for clock drift',
    defaultAsWritten: `${defaultClockSkewSeconds}s`,
  }),
  ratePerConnection: valueFlag('rate-per-connection', parseByteSize, {
    valueName: 'BYTES',
    description:
      'cap each connection at BYTES per second (e.g. 40MiB), as object stores do; for demos and benchmarks',
    defaultInWords: 'no cap',
  }),
  maxTransfers: valueFlag('max-transfers', parseCount, {
    valueName: 'N',
    description:
      'GET transfers in flight at most; beyond, 503 with a Retry-After that spreads the clients over time (no queue)',
    defaultAsWritten: '32',
  }),
  /** Defaults to perClientDefault(--max-transfers). */
  maxTransfersPerClient: valueFlag('max-transfers-per-client', parseCount, {
    valueName: 'N',
    description:
      'transfers in flight at most from one client address; raise it when many clients share one address (a NAT)',
    defaultInWords: 'a quarter of --max-transfers, at least 1',
  }),
  sendTimeoutSeconds: valueFlag('send-timeout', parseTimerSeconds, {
    valueName: 'DURATION',
    description:
      'end a transfer whose client leaves its bytes unread this long (about 256 KiB must be taken per DURATION) and free its slot',
    defaultAsWritten: '60s',
  }),
  retryAfterMaxSeconds: valueFlag('retry-after-max', parseDurationSeconds, {
    valueName: 'DURATION',
    description: `longest Retry-After given; the loader waits at most ${defaults.backoffMaxMs / 1000} s (LOADER_BACKOFF_MAX_SECONDS) whatever it is told`,
    defaultAsWritten: '30s',
  }),
  shutdownGraceSeconds: valueFlag('shutdown-grace', parseTimerSeconds, {
    valueName: 'DURATION',
    description: 'on SIGTERM, let requests in flight finish this long',
    defaultAsWritten: '10s',
  }),
  logFormat: valueFlag('log-format', parseOneOf(['json', 'text'] as const), {
    valueName: 'json|text',
    description: 'log format',
    defaultInWords: 'text on a terminal, json otherwise',
  }),
};

/**
 * A quarter of --max-transfers, at least 1: one client address (one slow or
 * hostile reader, one host's retries) cannot take every slot by default.
 */
export function perClientDefault(maxTransfers: number): number {
  return Math.max(1, Math.floor(maxTransfers / 4));
}

const summary = `Serves the files under DIR, only through URLs signed with a secret from FILE
(make them with \`runtime-loader sign\`). GET and HEAD, single byte ranges,
strong ETag and Last-Modified. 403 for a missing, bad or expired signature,
404 for anything that is not a regular file inside DIR. The access log never
contains a query string. GET /healthz answers 200 "ok" without a signature, for
probes (never turned away, not logged). SIGTERM stops it gracefully.`;

/** `runtime-loader serve --help`, generated from the flag table. */
export function serveHelp(table: typeof serveFlags = serveFlags): string {
  return toolHelp('serve', summary, table);
}
