import type { KeySet } from '../../config/public-keys.ts';
import { type StreamingCheck, signatureFailure } from './check.ts';
import { cosignCheck, parseCosign } from './cosign.ts';
import { minisignCheck, parseMinisign } from './minisign.ts';
import { defaultWholeMessageLimitBytes } from './whole-message.ts';

export interface SignatureCheckOptions {
  /**
   * The file's size known before the download (ARTIFACT_EXPECTED_SIZE, or a
   * raw layer's descriptor), so a file too large to hold fails first;
   * undefined when it is not known (a file in an image layer).
   */
  readonly expectedSizeBytes: number | undefined;
  /** The largest file a whole-message form (minisign `Ed`, cosign Ed25519) may be; see whole-message.ts. */
  readonly wholeMessageLimitBytes?: number;
}

/**
 * Parses the publisher's signature and prepares its check, before the
 * download: a signature that is unreadable, by a key not given, keyless, or
 * with an altered minisign trusted comment throws an IntegrityError now. The
 * check's passes then take every chunk of the file in order, before the
 * download frees them (signature-reader.ts), and its verdict after the last
 * returns the key and form that verified, or throws an IntegrityError naming them.
 *
 * The form is told by the first bytes: minisign starts "untrusted comment:",
 * a cosign bundle is a JSON object, anything else is a cosign blob signature.
 */
export function createSignatureCheck(
  keySet: KeySet,
  signature: string | Uint8Array,
  options: SignatureCheckOptions,
): StreamingCheck {
  const bytes = Buffer.from(signature);
  if (bytes.toString('utf8').trim() === '') {
    throw signatureFailure('signature-empty', 'the signature is empty');
  }
  const { expectedSizeBytes, wholeMessageLimitBytes = defaultWholeMessageLimitBytes } = options;
  return bytes.toString('latin1').startsWith('untrusted comment:')
    ? minisignCheck(keySet, parseMinisign(bytes), expectedSizeBytes, wholeMessageLimitBytes)
    : cosignCheck(keySet, parseCosign(bytes), expectedSizeBytes, wholeMessageLimitBytes);
}
