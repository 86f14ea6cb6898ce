import { tempFileRemovedError } from '../artifact/abandoned-temp-files.ts';
import type { TempArtifact } from '../artifact/temp-artifact.ts';
import type { JarCheckOutcome } from '../artifact/verification-record.ts';
import { writeErrorFor } from '../artifact/write-errors.ts';
import type { LoaderConfig } from '../config/types.ts';
import { IntegrityError, LoaderError, SizeMismatchError } from '../errors.ts';
import type { VerifiedSignature } from './signature/check.ts';
import type { SignatureReader } from './signature/signature-reader.ts';
import { checkZipStructure } from './zip.ts';
import { zipEvidence } from './zip-sniff.ts';
import { withFileSource } from './zip-source.ts';

export interface VerifiedArtifact {
  readonly sha256: string;
  readonly jarCheck: JarCheckOutcome;
  /** The publisher's signature that verified, when keys are given. */
  readonly signedBy?: VerifiedSignature;
}

/**
 * The verify stage, run on the finished temp file before it may be published:
 * exact size (`expected`: ARTIFACT_EXPECTED_SIZE, or for an image the size
 * its layer gives the JAR), then the expected digest (computed while
 * streaming), then the publisher's signature (checked while streaming, see
 * signature-reader.ts), then the JAR's zip structure. Returns the SHA-256 of
 * the bytes, the signature that verified and what the JAR check did.
 */
export async function verifyArtifact(
  config: LoaderConfig,
  temp: TempArtifact,
  signal: AbortSignal,
  expected: { readonly bytes: number; readonly name: string },
  signature?: SignatureReader,
): Promise<VerifiedArtifact> {
  if (temp.bytesWritten !== expected.bytes) {
    throw new SizeMismatchError(
      `size mismatch: received ${temp.bytesWritten} bytes, ${expected.name} is ${expected.bytes}`,
    );
  }
  const sha256 = temp.digestHex();
  if (config.sha256 !== undefined && sha256 !== config.sha256) {
    throw new IntegrityError(
      `checksum mismatch: expected sha256 ${config.sha256} (ARTIFACT_SHA256), got ${sha256}; the artifact was not published`,
      { details: { expectedSha256: config.sha256, actualSha256: sha256, sha256 } },
    );
  }
  const signedBy = await signature?.verdict(sha256);
  const signed = signedBy === undefined ? {} : { signedBy };
  if (config.verifyJar === false) return { sha256, jarCheck: 'off', ...signed };
  signal.throwIfAborted();
  const jarCheck = await withFileSource(temp.path, async (source) => {
    // auto: bytes that claim to be a zip must be a sound one; others pass with a warning.
    if (config.verifyJar === 'auto' && (await zipEvidence(source)) === undefined) {
      return 'not-a-zip' as const;
    }
    signal.throwIfAborted();
    await checkZipStructure(source, signal);
    return 'checked' as const;
  }).catch((error: unknown) => {
    if (error instanceof LoaderError || signal.aborted) throw error;
    // The file could not be read back (removed, an I/O error): not a bug of ours.
    if ((error as { code?: unknown }).code === 'ENOENT')
      throw tempFileRemovedError(temp.path, error);
    throw writeErrorFor(error, 'reading the temp file back', temp.folder);
  });
  return { sha256, jarCheck, ...signed };
}
