import { FetchError, type LoaderError, RejectedError } from '../../errors.ts';
import { withoutCredentialShapes } from '../../log/server-text.ts';
import { parseRetryAfterMs } from '../retry/retry-after.ts';
import { maxNotYetValidWaitMs, type SignatureTime } from './signature-time.ts';

/** Status codes worth another attempt (RFC 9110 §15.5.9, RFC 8470 §5.2, RFC 6585 §4, §15.6). */
const transientStatuses = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Network and timeout failures worth another attempt. Anything not listed fails at once. */
const transientErrorCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

const reasons: Record<string, string> = {
  ECONNRESET: 'connection reset by the server',
  ECONNREFUSED: 'connection refused',
  EAI_AGAIN: 'temporary DNS failure',
  ENOTFOUND: 'host name does not resolve (DNS)',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout (LOADER_CONNECT_TIMEOUT_SECONDS)',
  UND_ERR_HEADERS_TIMEOUT:
    'no response headers within the stall timeout (LOADER_STALL_TIMEOUT_SECONDS)',
  UND_ERR_BODY_TIMEOUT: 'no data received within the stall timeout (LOADER_STALL_TIMEOUT_SECONDS)',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'response body shorter than its Content-Length',
};

/** The error a non-2xx, non-redirect answer turns into. */
export function errorForStatus(
  status: number,
  statusText: string,
  where: string,
  retryAfter: string | string[] | undefined,
  serverReason?: string,
  signatureTime?: SignatureTime,
): LoaderError {
  const said = serverReason === undefined ? '' : ` (server says: ${JSON.stringify(serverReason)})`;
  // "400 Bad Request" for an expired GCS URL would mislead: its reason and the note say what it is.
  const misleading = status === 400 && signatureTime?.kind === 'expired';
  const text = statusText && !misleading ? ` ${statusText}` : '';
  const what = `${status}${text}${said}`;
  if (transientStatuses.has(status)) {
    const retryAfterMs = parseRetryAfterMs(retryAfter);
    return new FetchError(`server answered ${what} for ${where}`, {
      transient: true,
      details: { status, serverReason },
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status >= 400 && status < 500) {
    const details = { status, serverReason, ...signatureTime?.fields };
    if (signatureTime?.kind === 'not-yet-valid')
      return notYetValidError(what, where, signatureTime, details);
    const hint =
      signatureTime !== undefined
        ? `: ${signatureTime.note}`
        : status === 401 || status === 403
          ? ': the signed URL may have expired or be invalid; issue a new one'
          : status === 404 || status === 410
            ? ': no artifact at that path'
            : '';
    return new RejectedError(`server rejected the request with ${what} for ${where}${hint}`, {
      details,
    });
  }
  return new FetchError(`server answered ${what} for ${where}, which is not retried`, {
    details: { status, serverReason },
  });
}

/**
 * A signature not valid yet is clock skew between the signer and the server:
 * retried (a rejection, exit 3, if it persists), waiting until its start when
 * that is known, but never for longer than maxNotYetValidWaitMs.
 */
function notYetValidError(
  what: string,
  where: string,
  time: SignatureTime & { kind: 'not-yet-valid' },
  details: Record<string, unknown>,
): RejectedError {
  const tooFar = time.waitMs !== undefined && time.waitMs > maxNotYetValidWaitMs;
  const advice = tooFar
    ? `; that is more than ${maxNotYetValidWaitMs / 1000} s of skew, not waited for: fix the signer's clock and issue a new URL`
    : '';
  return new RejectedError(
    `server rejected the request with ${what} for ${where}: ${time.note}${advice}`,
    {
      transient: !tooFar,
      details,
      ...(time.waitMs === undefined || tooFar ? {} : { retryAfterMs: time.waitMs }),
    },
  );
}

/**
 * Wraps an error from the HTTP client (socket, DNS, TLS, timeouts) as a
 * FetchError. `beforeHeaders`: the request failed before any response header
 * was delivered (otherwise the body broke off).
 */
export function errorForNetworkFailure(
  error: unknown,
  where: string,
  beforeHeaders = false,
): FetchError {
  const code = errorCode(error) ?? (isEarlyEof(error) ? 'UND_ERR_SOCKET' : undefined);
  if (beforeHeaders && code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    return invalidFramingError(error, where);
  }
  const transient = code !== undefined && transientErrorCodes.has(code);
  const tlsHint =
    code !== undefined && isTlsVerificationCode(code)
      ? '; for a private CA, point NODE_EXTRA_CA_CERTS at its PEM file'
      : '';
  const reason = (code !== undefined ? reasons[code] : undefined) ?? firstLine(error);
  return new FetchError(
    `request to ${where} failed: ${reason}${code ? ` (${code})` : ''}${tlsHint}`,
    {
      cause: error,
      transient,
      details: code === undefined ? {} : { errorCode: code },
    },
  );
}

/**
 * undici 8.12 reports a header block that its HTTP/1.1 parser refused after a
 * Content-Length header as "body length does not match content-length": it
 * adds up the digits of repeated Content-Length values (`1000`, `1000` ->
 * 10001000) and checks that before the parser's own reason ("Duplicate
 * Content-Length"). Before any header was delivered no body was read, so this
 * is never a short body: the response's framing is invalid, and RFC 9112 §6.3
 * makes that an unrecoverable error for the message. The same server would
 * answer the same way, so it is not retried.
 */
function invalidFramingError(error: unknown, where: string): FetchError {
  return new FetchError(
    `server at ${where} sent response headers whose framing is invalid: a repeated or malformed Content-Length header (RFC 9112 §6.3), which the HTTP client refuses; not retried, fix the server or the proxy in front of it`,
    { cause: error, details: { errorCode: 'INVALID_CONTENT_LENGTH' } },
  );
}

function errorCode(error: unknown): string | undefined {
  // undici wraps socket errors; the system code is often on the cause.
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR') {
      const inner = (current as { cause?: unknown }).cause;
      const innerCode = inner instanceof Error ? (inner as { code?: unknown }).code : undefined;
      return typeof innerCode === 'string' && /^E[A-Z]+$/.test(innerCode) ? innerCode : code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isTlsVerificationCode(code: string): boolean {
  return (
    code.startsWith('CERT_') ||
    code.startsWith('ERR_TLS_') ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' ||
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN'
  );
}

const maxLibraryMessageChars = 200;

/**
 * The first line of a library's message, which may quote a URL or what a
 * server sent: redacted as server text, then cut at a word so no part of a
 * word (of a secret the logger would know whole) is left.
 */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = withoutCredentialShapes(message.split('\n')[0] ?? '');
  if (line.length <= maxLibraryMessageChars) return line || 'unknown error';
  return `${line.slice(0, maxLibraryMessageChars).replace(/\S*$/, '')}...`;
}

/**
 * A body cut off on a connection that is closed after the response (no
 * keep-alive, `Connection: close`) surfaces as undici's parser error
 * "Invalid EOF state" without a code: it is a truncated body like any other.
 */
function isEarlyEof(error: unknown): boolean {
  return error instanceof Error && error.name === 'HTTPParserError' && /EOF/i.test(error.message);
}
