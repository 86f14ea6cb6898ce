import type { IntegrityError } from '../../errors.ts';
import { type SignatureForm, signatureFailure } from './check.ts';

/**
 * How large a file may be for the forms that sign it in one piece (pure
 * Ed25519: minisign's legacy `Ed`, cosign with an Ed25519 key). Ed25519 hashes
 * the message twice inside one call (RFC 8032 section 5.1.7), so no API can
 * take it in chunks: the file must be held in memory. 16 MiB keeps the loader
 * well inside its 128 Mi container limit; larger files need the prehashed form.
 */
export const defaultWholeMessageLimitBytes = 16 * 1024 * 1024;

/** Whether a file of this size can be held; not when its size is not known before the download. */
export function fitsToHold(
  expectedSizeBytes: number | undefined,
  limitBytes: number,
): expectedSizeBytes is number {
  return expectedSizeBytes !== undefined && expectedSizeBytes <= limitBytes;
}

/**
 * The refusal, before the download, of a file too large to hold for a
 * whole-message signature, with what to do instead.
 */
export function wholeMessageTooLarge(
  form: SignatureForm,
  keyIds: readonly string[],
  expectedSizeBytes: number | undefined,
  limitBytes: number,
): IntegrityError {
  const instead =
    form === 'minisign Ed'
      ? "sign with minisign's default prehashed form (without -l)"
      : 'sign with an ECDSA P-256 key';
  return signatureFailure(
    'signature-too-large-to-buffer',
    expectedSizeBytes === undefined
      ? `the ${form} signature covers the whole file in one piece, so checking it holds the file in memory, and the file's size is not known before the download (a file in an image layer, without ARTIFACT_EXPECTED_SIZE): set ARTIFACT_EXPECTED_SIZE, or ${instead}`
      : `the ${form} signature covers the whole file in one piece, so checking it holds the file in memory, and ${expectedSizeBytes} bytes (ARTIFACT_EXPECTED_SIZE) is more than the ${limitBytes} allowed: ${instead}`,
    { form, keyIds },
  );
}
