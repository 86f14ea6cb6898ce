import { createHash, createHmac } from 'node:crypto';
import { canonicalString, type SignedFields } from './canonical.ts';

/** A signing secret as given: text (used as its UTF-8 bytes) or raw bytes. */
export type Secret = string | Uint8Array;

/** Shorter secrets are refused: the HMAC is only as strong as the key. */
export const minimumSecretBytes = 32;

export interface SigningKey {
  /** Fingerprint of the secret, sent in the URL so the verifier can pick the key. */
  readonly id: string;
  readonly secretBytes: Buffer;
}

/**
 * Derives the key id from the secret itself, so rotating needs no naming
 * scheme: put the new secret first, keep the old one until the URLs it signed
 * have expired. The id is 64 bits of a domain-separated SHA-256, which reveals
 * nothing usable about a secret of at least 32 random bytes.
 */
export function signingKey(secret: Secret): SigningKey {
  const secretBytes = Buffer.from(
    typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret,
  );
  if (secretBytes.byteLength < minimumSecretBytes) {
    throw new RangeError(
      `signing secret is ${secretBytes.byteLength} bytes; at least ${minimumSecretBytes} are required (e.g. openssl rand -base64 32)`,
    );
  }
  const id = createHash('sha256')
    .update('runtime-loader key id\n')
    .update(secretBytes)
    .digest()
    .subarray(0, 8)
    .toString('hex');
  return { id, secretBytes };
}

/** The raw 32-byte HMAC-SHA256 of the canonical string. */
export function signatureBytes(key: SigningKey, fields: Omit<SignedFields, 'keyId'>): Buffer {
  return createHmac('sha256', key.secretBytes)
    .update(canonicalString({ ...fields, keyId: key.id }))
    .digest();
}
