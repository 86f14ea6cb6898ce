import { verify } from 'node:crypto';
import {
  describeKeys,
  type KeySet,
  type MinisignKey,
  minisignKeyId,
} from '../../config/public-keys.ts';
import { decodeBase64 } from '../../options/base64.ts';
import {
  type SignatureForm,
  type StreamingCheck,
  signatureFailure,
  type VerifiedSignature,
} from './check.ts';
import { type BytePass, workOf } from './passes.ts';
import { fitsToHold, wholeMessageTooLarge } from './whole-message.ts';

/**
 * A .minisig file, as minisign 0.11 writes it (src/minisign.c, sig_load):
 *
 *   untrusted comment: <anything>
 *   base64("ED" or "Ed", key number (8 bytes), Ed25519 signature (64 bytes))
 *   trusted comment: <text>
 *   base64(Ed25519 signature of the signature bytes followed by the text)
 *
 * `ED` signs the BLAKE2b-512 of the file, `Ed` (legacy, `minisign -l`) the
 * file itself. The last line, the global signature, binds the trusted comment.
 */
export interface MinisignSignature {
  readonly form: Extract<SignatureForm, 'minisign ED' | 'minisign Ed'>;
  readonly keyNumber: Buffer;
  readonly keyId: string;
  readonly signature: Buffer;
  /** The trusted comment's bytes, without its prefix and line end: what the global signature covers. */
  readonly trustedComment: Buffer;
  readonly globalSignature: Buffer;
}

const untrustedPrefix = 'untrusted comment: ';
const trustedPrefix = 'trusted comment: ';

/** Parses a .minisig; throws an IntegrityError that says which line is wrong and what it should be. */
export function parseMinisign(text: Buffer): MinisignSignature {
  // Bytes, not text: the trusted comment is checked byte for byte. Like
  // minisign, each line may end in "\r\n"; what follows line 4 is ignored.
  const lines = text
    .toString('latin1')
    .split('\n')
    .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  const [untrusted = '', signatureLine = '', trusted = '', globalLine = ''] = lines;
  const malformed = (problem: string) =>
    signatureFailure('signature-unparseable', `the minisign signature ${problem}`);
  if (!untrusted.startsWith(untrustedPrefix)) {
    throw malformed(`does not start with "${untrustedPrefix}"`);
  }
  const signed = decodeBase64(signatureLine);
  if (signed?.length !== 74) {
    throw malformed(
      'has no signature on line 2 (base64 of 74 bytes: "ED" or "Ed", key number, signature)',
    );
  }
  const algorithm = signed.subarray(0, 2).toString('latin1');
  if (algorithm !== 'ED' && algorithm !== 'Ed') {
    throw malformed(`is for an unknown algorithm "${algorithm}": expected "ED" or "Ed"`);
  }
  if (!trusted.startsWith(trustedPrefix)) {
    throw malformed(`has no "${trustedPrefix}" line 3`);
  }
  const globalSignature = decodeBase64(globalLine);
  if (globalSignature?.length !== 64) {
    throw malformed('has no global signature on line 4 (base64 of 64 bytes)');
  }
  const keyNumber = signed.subarray(2, 10);
  return {
    form: algorithm === 'ED' ? 'minisign ED' : 'minisign Ed',
    keyNumber,
    keyId: minisignKeyId(keyNumber),
    signature: signed.subarray(10),
    trustedComment: Buffer.from(trusted.slice(trustedPrefix.length), 'latin1'),
    globalSignature,
  };
}

/**
 * The streaming check of a minisign signature. Before any byte arrives it
 * picks our key with the signature's key number and checks the global
 * signature, so an unknown key or an altered trusted comment fails before the
 * download. Then `ED` needs the bytes' BLAKE2b-512 (unkeyed, 64 bytes:
 * libsodium's crypto_generichash as minisign calls it); `Ed` holds them.
 */
export function minisignCheck(
  keySet: KeySet,
  minisig: MinisignSignature,
  expectedSizeBytes: number | undefined,
  wholeMessageLimitBytes: number,
): StreamingCheck {
  const { form, keyId } = minisig;
  const facts = { form, keyIds: [keyId] };
  const sameNumber = keySet.keys.filter(
    (key): key is MinisignKey => key.kind === 'minisign' && key.keyNumber.equals(minisig.keyNumber),
  );
  if (sameNumber.length === 0) {
    throw signatureFailure(
      'signature-unknown-key',
      `the ${form} signature is by minisign key ${keyId}, which is not among the keys given: ${describeKeys(keySet)}`,
      facts,
    );
  }
  const globallySigned = Buffer.concat([minisig.signature, minisig.trustedComment]);
  const keys = sameNumber.filter((key) =>
    verify(null, globallySigned, key.publicKey, minisig.globalSignature),
  );
  if (keys.length === 0) {
    throw signatureFailure(
      'signature-comment-altered',
      `the ${form} signature's trusted comment is not signed by minisign key ${keyId} (its global signature does not verify): the comment was changed or the signature was not made with this key`,
      facts,
    );
  }
  const prehashed = form === 'minisign ED';
  let pass: BytePass = { kind: 'digest', algorithm: 'blake2b512' };
  if (!prehashed) {
    if (!fitsToHold(expectedSizeBytes, wholeMessageLimitBytes))
      throw wholeMessageTooLarge(form, [keyId], expectedSizeBytes, wholeMessageLimitBytes);
    pass = { kind: 'hold', sizeBytes: expectedSizeBytes };
  }
  const passes: BytePass[] = [pass];
  return {
    form,
    candidateKeyIds: [keyId],
    passes,
    work: workOf(passes),
    verdict([message]): VerifiedSignature {
      const signer =
        message instanceof Uint8Array
          ? keys.find((key) => verify(null, message, key.publicKey, minisig.signature))
          : undefined;
      if (signer === undefined) {
        throw signatureFailure(
          'signature-mismatch',
          `the ${form} signature by minisign key ${keyId} does not match the downloaded file`,
          facts,
        );
      }
      return { keyId, form, trustedComment: minisig.trustedComment.toString('utf8') };
    },
  };
}
