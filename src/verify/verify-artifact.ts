import type { LoaderConfig } from '../config/types.ts';
import { IntegrityError, LoaderError, SizeMismatchError } from '../errors.ts';
import { tempFileRemovedError } from '../publish/abandoned-temp-files.ts';
import type { TempArtifact } from '../publish/temp-file.ts';
import { writeErrorFor } from '../publish/write-errors.ts';
import { verifyZipStructure } from './zip.ts';

/**
 * The verify stage, run on the finished temp file before it may be published:
 * exact size, then the expected digest (computed while streaming), then the
 * JAR's zip structure. Returns the SHA-256 of the bytes.
 */
export async function verifyArtifact(
  config: LoaderConfig,
  temp: TempArtifact,
  signal: AbortSignal,
): Promise<string> {
  if (temp.bytesWritten !== config.expectedSizeBytes) {
    throw new SizeMismatchError(
      `size mismatch: received ${temp.bytesWritten} bytes, ARTIFACT_EXPECTED_SIZE is ${config.expectedSizeBytes}`,
    );
  }
  const actual = temp.digestHex();
  if (config.sha256 !== undefined && actual !== config.sha256) {
    throw new IntegrityError(
      `checksum mismatch: expected sha256 ${config.sha256} (ARTIFACT_SHA256), got ${actual}; the artifact was not published`,
      { details: { expectedSha256: config.sha256, actualSha256: actual, sha256: actual } },
    );
  }
  if (config.verifyJar) {
    signal.throwIfAborted();
    await verifyZipStructure(temp.path, signal).catch((error: unknown) => {
      if (error instanceof LoaderError || signal.aborted) throw error;
      // The file could not be read back (removed, an I/O error): not a bug of ours.
      if ((error as { code?: unknown }).code === 'ENOENT')
        throw tempFileRemovedError(temp.path, error);
      throw writeErrorFor(error, 'reading the temp file back', temp.folder);
    });
  }
  return actual;
}
