import { access, open, rename } from 'node:fs/promises';
import type { WriteError } from '../errors.ts';
import { tempFileRemovedError } from './abandoned-temp-files.ts';
import type { TempArtifact } from './temp-file.ts';
import { writeErrorFor } from './write-errors.ts';

/**
 * Makes the verified temp file the target, atomically:
 * 1. fsync the file, so its data is durable before any name points to it;
 * 2. rename(2) over the target: readers see the old file or the new one, never
 *    a mix; a symlink at the target is replaced as a directory entry, not followed;
 * 3. fsync the folder, so the rename itself survives a crash (POSIX leaves
 *    directory-entry durability to an fsync of the directory).
 */
export async function publishAtomically(
  temp: TempArtifact,
  targetPath: string,
): Promise<{ folderSynced: boolean }> {
  await temp.syncAndClose();
  try {
    await rename(temp.path, targetPath);
  } catch (error) {
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
