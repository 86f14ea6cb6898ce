import { createPublicKey, type KeyObject, verify, X509Certificate } from 'node:crypto';
import {
  describeKeys,
  type KeySet,
  keyLabel,
  type PemKey,
  type PublicKey,
  spkiFingerprint,
} from '../../config/public-keys.ts';
import type { IntegrityError } from '../../errors.ts';
import { decodeBase64 } from '../../options/base64.ts';
import {
  type SignatureForm,
  type StreamingCheck,
  signatureFailure,
  type VerifiedSignature,
} from './check.ts';
import { type BytePass, workOf } from './passes.ts';
import { fitsToHold, wholeMessageTooLarge } from './whole-message.ts';

type CosignForm = Extract<SignatureForm, 'cosign blob' | 'cosign bundle'>;

/** Where a bundle says which key made its signature. */
type KeyNamedBy = 'certificate' | 'public key' | 'public-key hint';

/**
 * A cosign signature of a file:
 * - `cosign sign-blob` output: base64 of the raw signature (ASN.1 DER ECDSA for
 *   an ECDSA key, 64 bytes for Ed25519), or the raw bytes with `--b64=false`;
 * - `cosign sign-blob --bundle`: cosign's LocalSignedPayload JSON
 *   (sigstore/cosign pkg/cosign/fetch.go: `base64Signature`, `cert`,
 *   `rekorBundle`), where `cert` is the base64 of a PEM certificate (keyless)
 *   or, for a key, of the PEM public key (cmd/cosign/cli/signcommon/common.go,
 *   NewLegacyBundleFromProtoBundleComponents);
 * - `--new-bundle-format`: a sigstore bundle v0.1-v0.3 (sigstore/protobuf-specs
 *   protos/sigstore_bundle.proto, Bundle) with a `messageSignature`, whose
 *   verification material is a certificate (keyless) or a public-key hint,
 *   which cosign sets to the base64 SHA-256 of the key's DER
 *   SubjectPublicKeyInfo (internal/key/svkeypair.go).
 * Only the signature is checked, offline, against the keys given: log entries
 * and timestamps in a bundle are not read.
 */
export interface CosignSignature {
  readonly form: CosignForm;
  readonly signature: Buffer;
  /** The key the bundle says made the signature, as a `sha256:` fingerprint. */
  readonly namedKey?: { readonly id: string; readonly by: KeyNamedBy };
  /**
   * A sigstore bundle's SHA-256 of the file. The spec forbids using it to
   * verify (sigstore_common.proto, MessageSignature); it only explains a failure.
   */
  readonly sha256Hex?: string;
}

const sigstoreBundleTypes = new Set([
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle.v0.3+json',
]);

/** Parses a cosign blob signature or bundle; throws an IntegrityError saying what is wrong. */
export function parseCosign(bytes: Buffer): CosignSignature {
  if (isEcdsaDer(bytes)) return { form: 'cosign blob', signature: bytes };
  const text = bytes.toString('utf8').trim();
  if (text.startsWith('{')) return parseBundle(text);
  const signature = decodeBase64(text.replace(/\s+/g, ''));
  if (signature === undefined) {
    throw unparseable(
      'cosign blob',
      'signature is not base64 (nor a minisign signature, which starts "untrusted comment:", nor a JSON bundle)',
    );
  }
  return { form: 'cosign blob', signature };
}

/**
 * The streaming check of a cosign signature. Before any byte arrives it picks
 * the keys to try: the one the bundle names if it is ours; a bundle that names
 * another key, or carries only a certificate (keyless), fails at once.
 *
 * ECDSA: each key to try gets its own SHA-256 Verify pass over the chunks. Node 24
 * cannot verify ECDSA over a digest computed elsewhere (crypto.verify with a
 * null algorithm hashes with SHA-256 again; a prehash API is only proposed,
 * nodejs/node#62345), and a Verify object is spent by one verify() call. So
 * this is one more SHA-256 pass per ECDSA key tried (about 1 GiB/s per core
 * here); a bundle naming its key keeps it to one. Ed25519 signs the whole
 * message in one call, so those bytes are held (see whole-message.ts).
 */
export function cosignCheck(
  keySet: KeySet,
  cosig: CosignSignature,
  expectedSizeBytes: number | undefined,
  wholeMessageLimitBytes: number,
): StreamingCheck {
  const { form, signature } = cosig;
  const keys = keysFitting(keysToTry(keySet, cosig), signature);
  const ecdsa = keys.filter((key) => key.kind === 'ecdsa-p256');
  let ed25519 = keys.filter((key) => key.kind === 'ed25519');
  if (ecdsa.length + ed25519.length === 0) throw noFittingKey(keySet, cosig);
  const holdable = fitsToHold(expectedSizeBytes, wholeMessageLimitBytes);
  if (ed25519.length > 0 && !holdable) {
    if (ecdsa.length === 0) {
      const ids = ed25519.map((key) => key.id);
      throw wholeMessageTooLarge(form, ids, expectedSizeBytes, wholeMessageLimitBytes);
    }
    ed25519 = [];
  }
  const tried = [...ecdsa, ...ed25519];
  const passes: BytePass[] = [
    ...ecdsa.map((key) => ({
      kind: 'verify' as const,
      algorithm: 'sha256' as const,
      publicKey: key.publicKey,
      signature,
    })),
    ...(ed25519.length > 0 && holdable
      ? [{ kind: 'hold' as const, sizeBytes: expectedSizeBytes }]
      : []),
  ];
  return {
    form,
    candidateKeyIds: tried.map((key) => key.id),
    passes,
    work: workOf(passes),
    verdict(results, sha256Hex): VerifiedSignature {
      const message = results[ecdsa.length];
      const signer =
        ecdsa.find((_, index) => results[index] === true) ??
        ed25519.find((key) => message instanceof Uint8Array && signedBy(key, message, signature));
      if (signer === undefined) throw mismatch(cosig, tried, sha256Hex);
      return { keyId: signer.id, form };
    },
  };
}

/** The failure after the last byte, with what the bundle says about the file when that explains it. */
function mismatch(cosig: CosignSignature, tried: readonly PemKey[], sha256Hex?: string) {
  const otherFile =
    cosig.sha256Hex !== undefined && sha256Hex !== undefined && cosig.sha256Hex !== sha256Hex
      ? `; the bundle is for another file (its SHA-256 is ${cosig.sha256Hex}, the downloaded file's is ${sha256Hex})`
      : '';
  const prehashed = tried.some((key) => key.kind === 'ed25519')
    ? '; cosign signs with Ed25519ph when it uploads to the transparency log, which cannot be checked here: use an ECDSA P-256 key, or Ed25519 with --tlog-upload=false'
    : '';
  return signatureFailure(
    'signature-mismatch',
    `the ${cosig.form} signature does not match the downloaded file with ${tried.map(keyLabel).join(' or ')}${otherFile}${prehashed}`,
    { form: cosig.form, keyIds: tried.map((key) => key.id) },
  );
}

/** Our keys that may have made the signature: the one the bundle names, or all of them. */
function keysToTry(keySet: KeySet, { form, namedKey }: CosignSignature): readonly PublicKey[] {
  if (namedKey === undefined) return keySet.keys;
  const named = keySet.keys.filter((key) => key.id === namedKey.id);
  if (named.length > 0) return named;
  const facts = { form, keyIds: [namedKey.id] };
  if (namedKey.by === 'certificate') {
    throw signatureFailure(
      'signature-keyless',
      `keyless signatures are not supported: give the publisher's public key (the ${form} carries a certificate for key ${namedKey.id}, which is not among the keys given: ${describeKeys(keySet)})`,
      facts,
    );
  }
  throw signatureFailure(
    'signature-unknown-key',
    `the ${form} is by key ${namedKey.id} (its ${namedKey.by}), which is not among the keys given: ${describeKeys(keySet)}`,
    facts,
  );
}

function noFittingKey(keySet: KeySet, { form, signature }: CosignSignature): IntegrityError {
  if (!isEcdsaDer(signature) && signature.length !== 64) {
    return unparseable(form, `holds ${signature.length} signature bytes: ${neitherKind}`);
  }
  return signatureFailure(
    'signature-no-fitting-key',
    `the ${form} signature ${needsKey(keySet, signature)}`,
    { form },
  );
}

function parseBundle(text: string): CosignSignature {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw unparseable('cosign bundle', 'is not valid JSON');
  }
  if (!isRecord(document)) throw unparseable('cosign bundle', 'is not a JSON object');
  if (typeof document.mediaType === 'string') return parseSigstoreBundle(document);
  if (document.base64Signature !== undefined) return parseCosignBundle(document);
  throw unparseable(
    'cosign bundle',
    'is JSON but neither a sigstore bundle ("mediaType") nor a cosign bundle ("base64Signature")',
  );
}

/** `{"mediaType": …, "verificationMaterial": …, "messageSignature": {"messageDigest", "signature"}}` */
function parseSigstoreBundle(bundle: Record<string, unknown>): CosignSignature {
  const mediaType = String(bundle.mediaType);
  if (!sigstoreBundleTypes.has(mediaType)) {
    throw unparseable(
      'cosign bundle',
      `has media type ${JSON.stringify(mediaType.slice(0, 100))}: expected a sigstore bundle v0.1, v0.2 or v0.3`,
    );
  }
  if (bundle.dsseEnvelope !== undefined) {
    throw unparseable(
      'cosign bundle',
      'holds a DSSE envelope (an attestation, as cosign attest-blob writes), not a signature of the file (cosign sign-blob)',
    );
  }
  const messageSignature = record(bundle.messageSignature);
  const signature = base64Field(messageSignature.signature, 'messageSignature.signature');
  const messageDigest = record(messageSignature.messageDigest);
  const digest =
    messageDigest.algorithm === 'SHA2_256' && typeof messageDigest.digest === 'string'
      ? decodeBase64(messageDigest.digest)
      : undefined;
  const sha256Hex = digest?.length === 32 ? digest.toString('hex') : undefined;
  const material = record(bundle.verificationMaterial);
  const chain = record(material.x509CertificateChain).certificates;
  const certificate =
    record(material.certificate).rawBytes ??
    (Array.isArray(chain) ? record(chain[0]).rawBytes : undefined);
  const hint = record(material.publicKey).hint;
  const hinted = typeof hint === 'string' ? decodeBase64(hint) : undefined;
  const namedKey =
    certificate !== undefined
      ? {
          id: certificateKeyId(base64Field(certificate, 'the certificate')),
          by: 'certificate' as const,
        }
      : hinted?.length === 32
        ? { id: `sha256:${hinted.toString('hex')}`, by: 'public-key hint' as const }
        : undefined;
  return {
    form: 'cosign bundle',
    signature,
    ...(namedKey === undefined ? {} : { namedKey }),
    ...(sha256Hex === undefined ? {} : { sha256Hex }),
  };
}

/** `{"base64Signature": …, "cert": base64(PEM), "rekorBundle": …}` */
function parseCosignBundle(bundle: Record<string, unknown>): CosignSignature {
  const signature = base64Field(bundle.base64Signature, 'base64Signature');
  if (bundle.cert === undefined || bundle.cert === '') return { form: 'cosign bundle', signature };
  const cert = String(bundle.cert);
  // Older cosign releases wrote the PEM itself; current ones its base64.
  const pem = cert.startsWith('-----BEGIN') ? cert : decodeBase64(cert)?.toString('utf8');
  const label = /^-----BEGIN ([A-Z ]+)-----/.exec(pem?.trim() ?? '')?.[1];
  if (pem === undefined || (label !== 'CERTIFICATE' && label !== 'PUBLIC KEY')) {
    throw unparseable(
      'cosign bundle',
      'has a "cert" that is neither a PEM certificate nor a PEM public key',
    );
  }
  const namedKey =
    label === 'CERTIFICATE'
      ? { id: certificateKeyId(pem), by: 'certificate' as const }
      : { id: publicKeyId(pem), by: 'public key' as const };
  return { form: 'cosign bundle', signature, namedKey };
}

function certificateKeyId(certificate: Buffer | string): string {
  try {
    return spkiFingerprint(new X509Certificate(certificate).publicKey);
  } catch {
    throw unparseable('cosign bundle', 'has a certificate that cannot be read');
  }
}

function publicKeyId(pem: string): string {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw unparseable('cosign bundle', 'has a public key that cannot be read');
  }
  return spkiFingerprint(publicKey);
}

function base64Field(value: unknown, name: string): Buffer {
  const bytes = typeof value === 'string' ? decodeBase64(value) : undefined;
  if (bytes === undefined) throw unparseable('cosign bundle', `has no base64 ${name}`);
  return bytes;
}

/*
 * What the cosign blob check and the image signature check (image-signature.ts)
 * share: which PEM keys a raw signature may be by, and the verify itself.
 */

/**
 * The PEM keys among `keys` that may have made `signature`: ECDSA P-256 keys
 * for an ASN.1 DER signature, Ed25519 keys for 64 bytes.
 */
export function keysFitting(keys: readonly PublicKey[], signature: Buffer): PemKey[] {
  return keys.filter((key): key is PemKey =>
    key.kind === 'ecdsa-p256'
      ? isEcdsaDer(signature)
      : key.kind === 'ed25519' && signature.length === 64,
  );
}

/** Whether `key` signed `message`: ECDSA P-256 over its SHA-256, Ed25519 over the bytes themselves. */
export function signedBy(key: PemKey, message: Uint8Array, signature: Uint8Array): boolean {
  const algorithm = key.kind === 'ecdsa-p256' ? 'sha256' : null;
  try {
    return verify(algorithm, message, key.publicKey, signature);
  } catch {
    // OpenSSL may throw on a signature it cannot decode: not signed, all the same.
    return false;
  }
}

/** The end of the message for a signature that is neither kind. */
export const neitherKind = 'neither an ECDSA signature (ASN.1 DER) nor an Ed25519 one (64 bytes)';

/** `needs an ECDSA P-256 key, …`: the message for a signature no key given can have made. */
export function needsKey(keySet: KeySet, signature: Buffer): string {
  const kind = isEcdsaDer(signature) ? 'an ECDSA P-256' : 'an Ed25519';
  return `needs ${kind} key, and none of the keys given is one: ${describeKeys(keySet)}`;
}

/**
 * An ASN.1 DER SEQUENCE of two INTEGERs spanning exactly these bytes: how an
 * ECDSA signature is encoded (RFC 5480 section 2.2.3, Ecdsa-Sig-Value). For
 * P-256 each INTEGER is at most 33 bytes, so the lengths fit in one byte.
 */
export function isEcdsaDer(bytes: Buffer): boolean {
  if (bytes.length < 8 || bytes.length > 72) return false;
  if (bytes[0] !== 0x30 || bytes[1] !== bytes.length - 2 || bytes[2] !== 0x02) return false;
  const sAt = 4 + (bytes[3] ?? 0);
  return bytes[sAt] === 0x02 && bytes[sAt + 1] === bytes.length - sAt - 2;
}

function unparseable(form: CosignForm, problem: string): IntegrityError {
  return signatureFailure('signature-unparseable', `the ${form} ${problem}`, { form });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}
