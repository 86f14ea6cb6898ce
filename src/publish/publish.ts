import { open, rename } from 'node:fs/promises';
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
export async function publishAtomically(temp: TempArtifact, targetPath: string): Promise<void> {
  await temp.syncAndClose();
  try {
    await rename(temp.path, targetPath);
  } catch (error) {
    throw writeErrorFor(error, `renaming into place`, temp.folder);
  }
  try {
    const folder = await open(temp.folder, 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  } catch (error) {
    throw writeErrorFor(error, 'flushing the folder', temp.folder);
  }
}
