import { timingSafeEqual } from 'node:crypto';
import { queryParameter } from './canonical.ts';
import { type Secret, type SigningKey, signatureBytes, signingKey } from './keys.ts';

/** Why a URL was refused; each maps to a short message a server can send as is. */
export type VerifyFailureReason =
  | 'missing-signature'
  | 'malformed'
  | 'unknown-key'
  | 'bad-signature'
  | 'expired';

export type VerifyResult =
  | { readonly ok: true; readonly path: string; readonly keyId: string; readonly expiresAt: Date }
  | { readonly ok: false; readonly reason: VerifyFailureReason; readonly message: string };

export interface VerifyOptions {
  /** How far past its expiry a URL is still accepted, for clocks that disagree. Default 60 s. */
  readonly clockSkewSeconds?: number;
}

export const defaultClockSkewSeconds = 60;

/** A request as a server sees it: the path exactly as sent (still percent-encoded) and the query. */
export interface SignedRequest {
  readonly path: string;
  readonly query: URLSearchParams;
}

/**
 * Checks a signed URL against the active secrets (one, or several while
 * rotating). The signature is compared in constant time. Pass the URL as the
 * client sent it: a string is read as is, without resolving "." segments.
 */
export function verifySignedUrl(
  url: string | URL,
  secrets: Secret | readonly Secret[],
  now: Date = new Date(),
  options: VerifyOptions = {},
): VerifyResult {
  const keys = (Array.isArray(secrets) ? secrets : [secrets]).map((secret: Secret) =>
    signingKey(secret),
  );
  const request =
    typeof url === 'string' ? splitRawUrl(url) : { path: url.pathname, query: url.searchParams };
  if (request === undefined) return failure('malformed', 'not a URL');
  return verifySignature(request, keys, now, options);
}

/** The same check for a server that holds derived keys and its own parsed request. */
export function verifySignature(
  request: SignedRequest,
  keys: readonly SigningKey[],
  now: Date,
  options: VerifyOptions = {},
): VerifyResult {
  const expires = request.query.get(queryParameter.expires);
  const keyId = request.query.get(queryParameter.keyId);
  const signature = request.query.get(queryParameter.signature);
  if (expires === null || keyId === null || signature === null) {
    return failure(
      'missing-signature',
      `Missing signature: the URL needs ${Object.values(queryParameter).join(', ')}`,
    );
  }
  if (!/^[0-9]{1,12}$/.test(expires) || !/^[A-Za-z0-9_-]{43}$/.test(signature)) {
    return failure('malformed', 'Malformed signature or expiry');
  }
  const key = keys.find((candidate) => candidate.id === keyId);
  if (key === undefined) return failure('unknown-key', 'Unknown signing key');
  const expiresUnixSeconds = Number(expires);
  const expected = signatureBytes(key, { path: request.path, expiresUnixSeconds });
  const given = Buffer.from(signature, 'base64url');
  // Same length by construction (43 base64url characters = 32 bytes); constant time regardless.
  if (given.byteLength !== expected.byteLength || !timingSafeEqual(given, expected)) {
    return failure('bad-signature', 'Signature does not match');
  }
  const skewSeconds = options.clockSkewSeconds ?? defaultClockSkewSeconds;
  const expiresAt = new Date(expiresUnixSeconds * 1000);
  if (now.getTime() > (expiresUnixSeconds + skewSeconds) * 1000) {
    return failure('expired', `Request has expired (at ${expiresAt.toISOString()})`);
  }
  return { ok: true, path: request.path, keyId, expiresAt };
}

/** Path and query of `scheme://authority/path?query` or `/path?query`, left exactly as written. */
function splitRawUrl(raw: string): SignedRequest | undefined {
  const match = /^(?:[a-z][a-z0-9+.-]*:\/\/[^/?#]*)?(\/[^?#]*)(?:\?([^#]*))?/i.exec(raw);
  if (match === null) return undefined;
  return { path: match[1] ?? '/', query: new URLSearchParams(match[2] ?? '') };
}

function failure(reason: VerifyFailureReason, message: string): VerifyResult {
  return { ok: false, reason, message };
}
