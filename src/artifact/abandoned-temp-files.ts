import { dirname, join } from 'node:path';
import { WriteError } from '../errors.ts';
import { lstat, readdir, unlink } from '../process/files.ts';
import { heartbeatMs } from './heartbeat.ts';
import { isTempNameFor } from './temp-name.ts';

/**
 * A temp file unchanged for this long has no live owner: its loader refreshes
 * it every heartbeatMs (5 s), so this is 24 missed beats. The margin covers what
 * a shared volume adds: NFS clients cache attributes for up to 60 s (acregmax),
 * clocks of two nodes differ a little, and a loader can be paused for a while.
 */
export const abandonedAfterMs = 24 * heartbeatMs;

export interface TempFileSweep {
  /** Names of temp files removed: abandoned by a run that was killed. */
  readonly removed: string[];
  /** Names left alone: another run may still be writing them. */
  readonly inUse: string[];
}

/**
 * Removes the temp files next to the target that a killed run left behind,
 * and leaves those another run is still writing. Pids cannot tell them apart
 * (two containers on one volume see the same pid 1 in separate namespaces, on
 * separate hosts), so ownership is shown by time: a live loader keeps its file's
 * modification time recent (TempArtifact's heartbeat), and only a file older
 * than `abandonedAfterMs` is taken as abandoned. Only names this loader makes
 * are touched.
 */
export async function removeAbandonedTempFiles(targetPath: string): Promise<TempFileSweep> {
  const folder = dirname(targetPath);
  const sweep: TempFileSweep = { removed: [], inUse: [] };
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return sweep;
  }
  const candidates = names.filter((name) => isTempNameFor(targetPath, name));
  const nowMs = Date.now();
  await Promise.all(
    candidates.map(async (name) => {
      const path = join(folder, name);
      const info = await lstat(path).catch(() => undefined);
      if (info === undefined) return; // published or discarded meanwhile by its owner
      if (nowMs - info.mtimeMs < abandonedAfterMs) {
        sweep.inUse.push(name);
        return;
      }
      await unlink(path).then(
        () => sweep.removed.push(name),
        () => {},
      );
    }),
  );
  sweep.removed.sort();
  sweep.inUse.sort();
  return sweep;
}

/**
 * The error for a temp file whose name vanished while its run held it open:
 * removed by hand, or by another loader that took it as abandoned because
 * this run was paused (not refreshed) for longer than abandonedAfterMs.
 */
export function tempFileRemovedError(path: string, cause: unknown): WriteError {
  return new WriteError(
    `cannot publish: the temp file ${path} was removed while this run was writing it (by hand, or by another loader after this run was paused for over ${abandonedAfterMs / 1000} s); nothing was published`,
    { cause, details: { folder: dirname(path), errorCode: 'ENOENT' } },
  );
}
