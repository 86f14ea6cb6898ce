/**
 * The signed-URL scheme, version 1. A URL carries three query parameters:
 *
 *   rl-expires    expiry as Unix seconds
 *   rl-key-id     which key signed it (a fingerprint of the key, see keys.ts)
 *   rl-signature  base64url(HMAC-SHA256(key, canonical string)), no padding
 *
 * The canonical string is these five lines joined by "\n", with no trailing newline:
 *
 *   RL1-HMAC-SHA256
 *   GET
 *   <path, exactly as sent on the wire: percent-encoded, no query>
 *   <rl-expires>
 *   <rl-key-id>
 *
 * The method is always GET: a HEAD request is verified as the GET it mirrors
 * (RFC 9110 §9.3.2). Other query parameters are not signed and are ignored.
 */
export const schemeName = 'RL1-HMAC-SHA256';

export const queryParameter = {
  expires: 'rl-expires',
  keyId: 'rl-key-id',
  signature: 'rl-signature',
} as const;

export interface SignedFields {
  /** The request path as sent on the wire: percent-encoded, starting with "/", no query. */
  readonly path: string;
  readonly expiresUnixSeconds: number;
  readonly keyId: string;
}

export function canonicalString(fields: SignedFields): string {
  return [schemeName, 'GET', fields.path, String(fields.expiresUnixSeconds), fields.keyId].join(
    '\n',
  );
}
