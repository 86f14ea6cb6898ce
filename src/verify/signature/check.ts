import { IntegrityError } from '../../errors.ts';
import type { BytePass, PassResult, SignatureWork } from './passes.ts';

/**
 * What was signed and how: minisign's prehashed `ED` (Ed25519 over the
 * BLAKE2b-512 of the file) or legacy `Ed` (Ed25519 over the whole file), a
 * cosign blob signature (base64 of the raw signature) or a cosign bundle
 * (cosign's own JSON or a sigstore bundle v0.1-v0.3) with a message signature;
 * or, for an `oci://` image, cosign's signature of the image (`cosign sign`: a
 * simple-signing payload naming the manifest digest, see image-signature.ts).
 */
export type SignatureForm =
  | 'minisign ED'
  | 'minisign Ed'
  | 'cosign blob'
  | 'cosign bundle'
  | 'cosign image signature';

/** A signature that verified: which key made it, in which form. */
export interface VerifiedSignature {
  /** The minisign key id (`65DD7E4A6C25C8B0`) or the PEM key's `sha256:` fingerprint. */
  readonly keyId: string;
  readonly form: SignatureForm;
  /** minisign only: the signed comment (by default the signing time and file name). */
  readonly trustedComment?: string;
}

/** A parsed signature, and what it needs of the file's bytes to say whether they are signed. */
export interface StreamingCheck {
  readonly form: SignatureForm;
  /** The keys the signature may be by: those it names, or every key that fits its form. */
  readonly candidateKeyIds: readonly string[];
  /** The passes over the file's bytes, in order, beside the loader's own SHA-256 (see passes.ts). */
  readonly passes: readonly BytePass[];
  /** What the passes cost while the bytes stream past. */
  readonly work: SignatureWork;
  /**
   * The verdict once every byte went through the passes: `results` are theirs,
   * in the same order. `sha256Hex`: the file's SHA-256 as the loader computed
   * it, used only to explain a failure.
   */
  verdict(results: readonly PassResult[], sha256Hex?: string): VerifiedSignature;
}

/** Why a signature was refused: a stable value for the log's `reason` field. */
export type SignatureFailureReason =
  | 'signature-empty'
  | 'signature-missing'
  | 'signature-other-digest'
  | 'signature-unparseable'
  | 'signature-unknown-key'
  | 'signature-no-fitting-key'
  | 'signature-keyless'
  | 'signature-comment-altered'
  | 'signature-too-large-to-buffer'
  | 'signature-mismatch';

/**
 * The IntegrityError for a refused signature: `signature check failed: text`,
 * with the reason, the form (when known) and the key ids in its details.
 * Messages name keys by id and never hold a URL or key material.
 */
export function signatureFailure(
  reason: SignatureFailureReason,
  text: string,
  facts: { form?: SignatureForm; keyIds?: readonly string[] } = {},
): IntegrityError {
  return new IntegrityError(`signature check failed: ${text}`, {
    details: {
      reason,
      ...(facts.form === undefined ? {} : { signatureForm: facts.form }),
      ...(facts.keyIds === undefined ? {} : { signatureKeyIds: facts.keyIds }),
    },
  });
}
