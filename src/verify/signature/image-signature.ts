/**
 * cosign's signature of an image (`cosign sign --key cosign.key REG/REPO@DIGEST`),
 * checked offline against the publisher's keys. cosign signs a small JSON
 * document, the simple-signing payload (containers/image
 * docs/containers-signature.5.md, with cosign's `critical.type`):
 *
 *   {"critical":{"identity":{"docker-reference":"REG/REPO"},
 *                "image":{"docker-manifest-digest":"sha256:…"},
 *                "type":"cosign container image signature"},"optional":…}
 *
 * and stores it as a layer of media type
 * `application/vnd.dev.cosign.simplesigning.v1+json` in a signature manifest,
 * the layer's annotation `dev.cosignproject.cosign/signature` holding the
 * base64 signature over the payload's exact bytes: ASN.1 DER ECDSA P-256 over
 * its SHA-256, or Ed25519 over the bytes themselves. Where that manifest is
 * found is the resolve stage's (resolve/cosign-signature.ts).
 *
 * The signature is checked first, then what it vouches for: the payload must
 * be cosign's type and name the manifest that was pulled. The identity
 * (`docker-reference`) is not compared: cosign's own verification does not
 * either, since a digest names the content wherever it is copied.
 */
import { describeKeys, type KeySet, keyLabel, type PemKey } from '../../config/public-keys.ts';
import type { IntegrityError } from '../../errors.ts';
import { decodeBase64 } from '../../options/base64.ts';
import { signatureFailure, type VerifiedSignature } from './check.ts';
import { isEcdsaDer, keysFitting, needsKey, neitherKind, signedBy } from './cosign.ts';

export const simpleSigningMediaType = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const signatureAnnotation = 'dev.cosignproject.cosign/signature';
export const cosignSignatureType = 'cosign container image signature';
/** A payload is a few hundred bytes; a layer larger than this is not one, and is not fetched. */
export const maxPayloadBytes = 64 * 1024;

const form = 'cosign image signature';

/** One signature of a signature manifest: the payload's bytes and its annotation. */
export interface ImageSignatureLayer {
  readonly payload: Uint8Array;
  /** The `dev.cosignproject.cosign/signature` annotation: base64. */
  readonly signatureBase64: string;
  /** Where it was found, for messages: `the tag oci://reg/repo:sha256-….sig, layer 1 of 2`. */
  readonly where: string;
}

/** What a payload vouches for. */
export interface SimpleSigningPayload {
  /** `critical.image["docker-manifest-digest"]`. */
  readonly manifestDigest: string;
}

/**
 * Checks one signature layer: by one of the PEM keys of `keySet` over the
 * payload's bytes, of cosign's type, and for one of `digests` (the manifests
 * the pull went through). Returns the key that signed and the digest it
 * vouches for; throws an IntegrityError saying which check failed, naming
 * the key ids tried and, for another digest, both digests.
 */
export function checkImageSignature(
  keySet: KeySet,
  layer: ImageSignatureLayer,
  digests: readonly string[],
): VerifiedSignature & { readonly manifestDigest: string } {
  const signer = signerOf(keySet, layer);
  const { manifestDigest } = parseSimpleSigningPayload(layer.payload, layer.where);
  if (!digests.includes(manifestDigest)) {
    throw signatureFailure(
      'signature-other-digest',
      `the ${form} in ${layer.where} by ${keyLabel(signer)} is for the manifest ${manifestDigest}, not for the manifest pulled (${digests.join(', or its image manifest ')}): it signs another image`,
      { form, keyIds: [signer.id] },
    );
  }
  return { keyId: signer.id, form, manifestDigest };
}

/** Reads a simple-signing payload; throws an IntegrityError when it is not cosign's. */
export function parseSimpleSigningPayload(
  payload: Uint8Array,
  where: string,
): SimpleSigningPayload {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw unparseable(`the payload in ${where} is not valid JSON`);
  }
  const critical = field(document, 'critical');
  const type = field(critical, 'type');
  if (type !== cosignSignatureType) {
    throw unparseable(
      `the payload in ${where} has critical.type ${JSON.stringify(type ?? null)}, expected ${JSON.stringify(cosignSignatureType)}`,
    );
  }
  const digest = field(field(critical, 'image'), 'docker-manifest-digest');
  if (typeof digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(digest)) {
    throw unparseable(
      `the payload in ${where} has no critical.image["docker-manifest-digest"] of the form sha256:<64 hex digits>`,
    );
  }
  return { manifestDigest: digest };
}

/** The key whose signature the annotation is; an IntegrityError naming the keys tried when none. */
function signerOf(
  keySet: KeySet,
  { payload, signatureBase64, where }: ImageSignatureLayer,
): PemKey {
  const signature = decodeBase64(signatureBase64.replace(/\s+/g, ''));
  if (signature === undefined || signature.length === 0) {
    throw unparseable(`the signature annotation in ${where} is not base64`);
  }
  if (!isEcdsaDer(signature) && signature.length !== 64) {
    throw unparseable(`the signature in ${where} is ${signature.length} bytes: ${neitherKind}`);
  }
  const fitting = keysFitting(keySet.keys, signature);
  if (fitting.length === 0) {
    throw signatureFailure(
      'signature-no-fitting-key',
      `the ${form} in ${where} ${needsKey(keySet, signature)}`,
      { form, keyIds: keySet.keys.map((key) => key.id) },
    );
  }
  const signer = fitting.find((key) => signedBy(key, payload, signature));
  if (signer === undefined) {
    throw signatureFailure(
      'signature-mismatch',
      `the ${form} in ${where} is not by ${fitting.map(keyLabel).join(' or ')} (${describeKeys(keySet)})`,
      { form, keyIds: fitting.map((key) => key.id) },
    );
  }
  return signer;
}

function unparseable(text: string): IntegrityError {
  return signatureFailure('signature-unparseable', `${form}: ${text}`, { form });
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[name]
    : undefined;
}
