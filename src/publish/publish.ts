import { tempFileRemovedError } from '../artifact/abandoned-temp-files.ts';
import type { TempArtifact } from '../artifact/temp-artifact.ts';
import {
  removeRecord,
  type VerificationRecord,
  writeRecord,
} from '../artifact/verification-record.ts';
import { writeErrorFor } from '../artifact/write-errors.ts';
import type { WriteError } from '../errors.ts';
import { access, lutimes, open, rename } from '../process/files.ts';

/** What is published with the artifact: its modification time and its verification record. */
export interface PublishOptions {
  readonly modifiedAt: Date;
  readonly record: VerificationRecord;
}

/**
 * Makes the verified temp file the target, atomically:
 * 1. fsync it and close it, so its data is durable before any name points to
 *    it (closing also stops its heartbeat);
 * 2. replace the verification record (temp file, fsync, rename) before the
 *    artifact: a crash between the two leaves the new record beside the old
 *    file, whose bytes do not hash to it, so it vouches for nothing; a record
 *    is never older than the file it sits beside;
 * 3. set its modification time to the artifact's own, just before the rename:
 *    earlier, the heartbeat would set it back to now, and another run's sweep
 *    would take a temp file dated years ago for abandoned and remove it; the
 *    folder's fsync below commits it with the rename on journaling file systems;
 * 4. rename(2) over the target: readers see the old file or the new one, never
 *    a mix; a symlink at the target is replaced as a directory entry, not followed;
 * 5. fsync the folder, so both renames survive a crash (POSIX leaves
 *    directory-entry durability to an fsync of the directory).
 */
export async function publishAtomically(
  temp: TempArtifact,
  targetPath: string,
  options?: PublishOptions,
): Promise<{ folderSynced: boolean }> {
  await temp.syncAndClose();
  if (options !== undefined) await writeRecord(targetPath, options.record);
  try {
    if (options !== undefined) await lutimes(temp.path, options.modifiedAt, options.modifiedAt);
    await rename(temp.path, targetPath);
  } catch (error) {
    // The record now describes bytes that are not in place: take it away.
    if (options !== undefined) await removeRecord(targetPath);
    throw (
      (await tempFileGone(error, temp)) ?? writeErrorFor(error, 'renaming into place', temp.folder)
    );
  }
  // From here the verified artifact is in place: failing the run now would only
  // make the orchestrator restart a loader whose work is done. Some file systems
  // refuse fsync on a directory (EINVAL); the caller reports it as a warning.
  try {
    const folder = await open(temp.folder, 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
    return { folderSynced: true };
  } catch {
    return { folderSynced: false };
  }
}

/** A rename that found no temp file, in a folder that is still there: someone removed the file. */
async function tempFileGone(error: unknown, temp: TempArtifact): Promise<WriteError | undefined> {
  if ((error as { code?: unknown }).code !== 'ENOENT') return undefined;
  const folderExists = await access(temp.folder).then(
    () => true,
    () => false,
  );
  return folderExists ? tempFileRemovedError(temp.path, error) : undefined;
}
