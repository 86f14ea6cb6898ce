import { maxHeaderSize } from 'node:http';
import { FetchError, type LoaderError, RejectedError } from '../../errors.ts';
import { withoutCredentialShapes } from '../../log/server-text.ts';
import { parseRetryAfterMs } from '../retry/retry-after.ts';
import { maxNotYetValidWaitMs, type SignatureTime } from './signature-time.ts';
import { TransportError } from './transport-error.ts';

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
  'CONNECTION_CLOSED',
  'CONNECT_TIMEOUT',
  'HEADERS_TIMEOUT',
  'BODY_TIMEOUT',
]);

/** Maps, not objects: a code is outside text, and `constructor` must find nothing. */
const reasons = new Map([
  ['ECONNRESET', 'connection reset by the server'],
  ['ECONNREFUSED', 'connection refused'],
  ['EAI_AGAIN', 'temporary DNS failure'],
  ['ENOTFOUND', 'host name does not resolve (DNS)'],
  ['ETIMEDOUT', 'connection timed out'],
  ['CONNECT_TIMEOUT', 'connect timeout (LOADER_CONNECT_TIMEOUT_SECONDS)'],
  [
    'HEADERS_TIMEOUT',
    'no response headers within the stall timeout (LOADER_STALL_TIMEOUT_SECONDS)',
  ],
  ['BODY_TIMEOUT', 'no data received within the stall timeout (LOADER_STALL_TIMEOUT_SECONDS)'],
]);

/**
 * llhttp's refusals of a header block whose framing is invalid (RFC 9112
 * §6.3): a repeated or malformed Content-Length, or one beside
 * Transfer-Encoding. Not retried: the same server would answer the same way.
 */
const repeatedLength = {
  code: 'INVALID_CONTENT_LENGTH',
  what: 'a repeated or malformed Content-Length header',
};
const invalidFraming = new Map([
  ['HPE_UNEXPECTED_CONTENT_LENGTH', repeatedLength],
  ['HPE_INVALID_CONTENT_LENGTH', repeatedLength],
  [
    'HPE_INVALID_TRANSFER_ENCODING',
    {
      code: 'INVALID_TRANSFER_ENCODING',
      what: 'a Transfer-Encoding header that is not chunked last, or beside a Content-Length',
    },
  ],
]);

/** What a 407 means, from a proxy in front of the origin or one asked for a tunnel. */
export const proxyCredentialsNote =
  "the proxy asks for a user name and password, and those in the proxy's URL are missing or not accepted";

/**
 * A proxy's 407 to a request sent through it in absolute form (an http URL),
 * the same failure as its 407 to a CONNECT (tunnel.ts): exit 4, not retried.
 * Not a rejection (exit 3, "issue a new URL"): the URL was never shown to its
 * server, and a new one would meet the same proxy; the way to the server is
 * what failed, as with any other proxy failure. The proxy's own text is not
 * told, as for a CONNECT.
 */
export function proxyAuthenticationError(where: string): FetchError {
  return new FetchError(
    `request to ${where} failed: the proxy refused the request: it answered 407 (${proxyCredentialsNote}) (PROXY_REFUSED)`,
    { details: { errorCode: 'PROXY_REFUSED', proxyStatus: 407 } },
  );
}

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
  if (status === 407) return proxyAuthenticationError(where);
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
 * Wraps an error from the HTTP client (socket, DNS, TLS, timeouts, the
 * parser) as a FetchError. `beforeHeaders`: the request failed before any
 * response header was delivered (otherwise the body broke off).
 */
export function errorForNetworkFailure(
  error: unknown,
  where: string,
  beforeHeaders = false,
): FetchError {
  const code = errorCode(error);
  const framing = code === undefined ? undefined : invalidFraming.get(code);
  if (framing !== undefined) {
    return new FetchError(
      `server at ${where} sent response headers whose framing is invalid: ${framing.what} (RFC 9112 §6.3), which the HTTP client refuses; not retried, fix the server or the proxy in front of it`,
      { cause: error, details: { errorCode: framing.code } },
    );
  }
  if (code === 'HPE_HEADER_OVERFLOW') {
    const limit = `${maxHeaderSize / 1024} KiB`;
    return new FetchError(
      `server at ${where} sent response headers larger than the ${limit} the HTTP client takes (a long Location or cookies?); not retried. NODE_OPTIONS=--max-http-header-size=BYTES raises the limit`,
      { cause: error, details: { errorCode: 'HEADERS_TOO_LARGE' } },
    );
  }
  const transient = code !== undefined && transientErrorCodes.has(code);
  const tlsHint = (code !== undefined && tlsHints.get(code)) || '';
  const known = code === undefined ? undefined : reasons.get(code);
  // The client's own errors say what happened (a proxy's refusal); the timeouts name their setting.
  const reason =
    error instanceof TransportError && known === undefined
      ? error.message
      : code === 'CONNECTION_CLOSED'
        ? closedReason(beforeHeaders)
        : (known ?? firstLine(error));
  const proxyStatus = (error as { proxyStatus?: unknown }).proxyStatus;
  return new FetchError(
    `request to ${where} failed: ${reason}${code ? ` (${code})` : ''}${tlsHint}`,
    {
      cause: error,
      transient:
        transient || (typeof proxyStatus === 'number' && transientProxyStatus(proxyStatus)),
      details: {
        ...(code === undefined ? {} : { errorCode: code }),
        ...(typeof proxyStatus === 'number' ? { proxyStatus } : {}),
      },
    },
  );
}

function closedReason(beforeHeaders: boolean): string {
  return beforeHeaders
    ? 'connection closed by the server before it answered'
    : 'connection closed by the server before the answer was complete';
}

/** A proxy that refuses a tunnel with a status worth another attempt (a 502 from a busy proxy). */
function transientProxyStatus(status: number): boolean {
  return transientStatuses.has(status);
}

/**
 * The error's code: its own, or the system code of its cause. node:http
 * reports a connection that closed cleanly (no reset) before the answer was
 * complete as ECONNRESET with no system call ("socket hang up", "aborted"):
 * that is CONNECTION_CLOSED here, a reset from the peer stays ECONNRESET.
 */
function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; depth += 1) {
    const { code, syscall } = current as { code?: unknown; syscall?: unknown };
    if (typeof code === 'string') {
      if (code === 'ECONNRESET' && syscall === undefined) return 'CONNECTION_CLOSED';
      const inner = (current as { cause?: unknown }).cause;
      const innerCode = inner instanceof Error ? (inner as { code?: unknown }).code : undefined;
      return typeof innerCode === 'string' && /^E[A-Z]+$/.test(innerCode) ? innerCode : code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * What to do about a certificate that was refused: a chain that ends at no CA
 * in the store is a private CA; a name mismatch or a date is not, and
 * trusting another CA would not help.
 */
const untrustedChain = '; for a private CA, point NODE_EXTRA_CA_CERTS at its PEM file';
const tlsHints = new Map([
  ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', untrustedChain],
  ['UNABLE_TO_GET_ISSUER_CERT', untrustedChain],
  ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', untrustedChain],
  ['DEPTH_ZERO_SELF_SIGNED_CERT', untrustedChain],
  ['SELF_SIGNED_CERT_IN_CHAIN', untrustedChain],
  ['CERT_UNTRUSTED', untrustedChain],
  [
    'ERR_TLS_CERT_ALTNAME_INVALID',
    '; the certificate is not for this host name: use the name the certificate is issued for',
  ],
]);

const maxLibraryMessageChars = 200;

/**
 * The first line of an error's message, which may quote a URL or what a
 * server sent: redacted as server text, then cut at a word so no part of a
 * word (of a secret the logger would know whole) is left.
 */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = withoutCredentialShapes(message.split('\n')[0] ?? '');
  if (line.length <= maxLibraryMessageChars) return line || 'unknown error';
  return `${line.slice(0, maxLibraryMessageChars).replace(/\S*$/, '')}...`;
}
