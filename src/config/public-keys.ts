import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { ConfigError } from '../errors.ts';
import { decodeBase64 } from '../options/base64.ts';

/** A minisign public key: base64 of "Ed", an 8-byte key number and a 32-byte Ed25519 key. */
export interface MinisignKey {
  readonly kind: 'minisign';
  /** The key number as minisign prints it: little-endian, 16 uppercase hex digits. */
  readonly id: string;
  readonly keyNumber: Buffer;
  readonly publicKey: KeyObject;
}

/** A PEM SubjectPublicKeyInfo key, as cosign.pub holds one. */
export interface PemKey {
  readonly kind: 'ecdsa-p256' | 'ed25519';
  /** `sha256:` and the hex SHA-256 of the DER SubjectPublicKeyInfo (see spkiFingerprint). */
  readonly id: string;
  readonly publicKey: KeyObject;
}

export type PublicKey = MinisignKey | PemKey;

/** The publisher's keys, and the setting they came from, for messages. */
export interface KeySet {
  readonly source: string;
  readonly keys: readonly PublicKey[];
}

const minisignKeyBytes = 2 + 8 + 32;
// "Ed", "Sc" or "\0\0", "B2", salt 32, opslimit 8, memlimit 8, key number 8, secret key 64, checksum 32.
const minisignSecretKeyBytes = 158;
const pemBegin = /^-----BEGIN ([A-Z0-9 ]+)-----$/;

/**
 * Reads the publisher's public keys from the text of the key setting or of the
 * file it names (`source` names it, for messages): minisign public keys, one
 * a line, each optionally after its `untrusted comment:` line, and PEM public
 * keys (ECDSA P-256 or Ed25519), in any mix. Throws a ConfigError naming the
 * line that is wrong; key material never appears in a message.
 */
export function parsePublicKeys(text: string, source: string): KeySet {
  const lines = text.split('\n').map((line) => line.trim());
  const keys: PublicKey[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    if (line === '' || line.startsWith('untrusted comment:')) continue;
    const label = pemBegin.exec(line)?.[1];
    if (label === undefined) {
      keys.push(minisignKey(line, `${source} line ${index + 1}`));
      continue;
    }
    const end = lines.indexOf(`-----END ${label}-----`, index + 1);
    const where = `${source}: the PEM block on line ${index + 1}`;
    if (end === -1) throw new ConfigError(`${where} has no "-----END ${label}-----" line`);
    keys.push(pemKey(lines.slice(index, end + 1).join('\n'), label, where));
    index = end;
  }
  if (keys.length === 0) {
    throw new ConfigError(
      `${source} holds no public key: expected minisign public keys (one a line) or PEM public keys ("-----BEGIN PUBLIC KEY-----")`,
    );
  }
  return { source, keys: withoutRepeats(keys) };
}

/** How messages name a key: its kind and id, never its material. */
export function keyLabel(key: PublicKey): string {
  const kind = { minisign: 'minisign', 'ecdsa-p256': 'ECDSA P-256', ed25519: 'Ed25519' }[key.kind];
  return `${kind} key ${key.id}`;
}

/** The keys of a set, for a message: "<source> holds minisign key 65DD…, ECDSA P-256 key sha256:…". */
export function describeKeys(keySet: KeySet): string {
  return `${keySet.source} holds ${keySet.keys.map(keyLabel).join(', ')}`;
}

/**
 * A PEM key's id: `sha256:` and the hex SHA-256 of its DER SubjectPublicKeyInfo,
 * the key id of RFC 6962 section 3.2, which cosign also writes (in base64) as
 * a sigstore bundle's public-key hint.
 */
export function spkiFingerprint(publicKey: KeyObject): string {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/**
 * The key number as minisign prints it (`%016" PRIX64` of the little-endian
 * number); minisign 0.11 left out leading zeros in the .pub file's comment only.
 */
export function minisignKeyId(keyNumber: Uint8Array): string {
  return Buffer.from(keyNumber).reverse().toString('hex').toUpperCase();
}

function minisignKey(line: string, where: string): MinisignKey {
  const bytes = decodeBase64(line);
  const algorithm = bytes?.subarray(0, 2).toString('latin1');
  if (bytes?.length === minisignSecretKeyBytes && algorithm === 'Ed') {
    throw new ConfigError(
      `${where} is a minisign secret key: give the public key (minisign.pub) instead`,
    );
  }
  if (bytes?.length !== minisignKeyBytes) {
    throw new ConfigError(
      `${where} is not a minisign public key (base64 of ${minisignKeyBytes} bytes, starting "RW") nor the start of a PEM block ("-----BEGIN PUBLIC KEY-----")`,
    );
  }
  if (algorithm !== 'Ed') {
    throw new ConfigError(
      `${where} is a minisign public key for an unknown algorithm: expected "Ed" (Ed25519)`,
    );
  }
  const keyNumber = bytes.subarray(2, 10);
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: bytes.subarray(10).toString('base64url') },
    format: 'jwk',
  });
  return { kind: 'minisign', id: minisignKeyId(keyNumber), keyNumber, publicKey };
}

function pemKey(pem: string, label: string, where: string): PemKey {
  if (label.includes('PRIVATE KEY')) {
    throw new ConfigError(`${where} is a private key: give only the public key (e.g. cosign.pub)`);
  }
  if (label === 'CERTIFICATE') {
    throw new ConfigError(
      `${where} is a certificate: give the publisher's public key ("-----BEGIN PUBLIC KEY-----"); certificates and keyless signatures are not supported`,
    );
  }
  if (label === 'RSA PUBLIC KEY') {
    throw new ConfigError(`${where} is an RSA key: expected ECDSA P-256 or Ed25519`);
  }
  if (label !== 'PUBLIC KEY') {
    throw new ConfigError(`${where} is a "${label}" block: expected "PUBLIC KEY"`);
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new ConfigError(`${where} is not a valid DER SubjectPublicKeyInfo in base64`, {
      cause: error,
    });
  }
  const type = publicKey.asymmetricKeyType;
  if (type === 'ed25519') return { kind: 'ed25519', id: spkiFingerprint(publicKey), publicKey };
  const curve = publicKey.asymmetricKeyDetails?.namedCurve;
  if (type === 'ec' && curve === 'prime256v1') {
    return { kind: 'ecdsa-p256', id: spkiFingerprint(publicKey), publicKey };
  }
  const what =
    type === 'ec'
      ? `an ECDSA key on curve ${curve}`
      : type === 'rsa' || type === 'rsa-pss'
        ? 'an RSA key'
        : `an ${type} key`;
  throw new ConfigError(`${where} is ${what}: expected ECDSA P-256 or Ed25519`);
}

/** The same key given twice (e.g. in the value and again in a rotation) counts once. */
function withoutRepeats(keys: readonly PublicKey[]): PublicKey[] {
  const seen = new Set<string>();
  return keys.filter((key) => {
    const identity = `${key.id} ${spkiFingerprint(key.publicKey)}`;
    if (seen.has(identity)) return false;
    seen.add(identity);
    return true;
  });
}
