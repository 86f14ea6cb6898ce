import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { LoaderConfig } from '../config/types.ts';
import { removeAbandonedTempFiles, type TempFileSweep } from '../publish/abandoned-temp-files.ts';
import { writeErrorFor } from '../publish/write-errors.ts';

export type Plan =
  | {
      readonly action: 'download';
      readonly tempFiles: TempFileSweep;
      readonly reason: string;
    }
  | {
      readonly action: 'skip';
      readonly tempFiles: TempFileSweep;
      readonly sha256: string;
    };

/**
 * The plan stage: make sure the folder exists, clear temp files a killed run
 * left behind (never one that another run is writing), and decide whether the
 * artifact already in place can be kept.
 *
 * Only a matching SHA-256 proves the file in place is the artifact: a file of
 * the right size may be a stale version or a proxy's error page. Without
 * ARTIFACT_SHA256 the loader always downloads.
 */
export async function plan(config: LoaderConfig, signal: AbortSignal): Promise<Plan> {
  const folder = dirname(config.outputPath);
  try {
    await mkdir(folder, { recursive: true, mode: 0o755 });
  } catch (error) {
    throw writeErrorFor(error, 'creating the folder', folder);
  }
  const tempFiles = await removeAbandonedTempFiles(config.outputPath);
  const existing = await lstat(config.outputPath).catch(() => undefined);
  if (existing?.isDirectory()) {
    // Fail before downloading: the final rename could never replace a folder.
    throw writeErrorFor(
      Object.assign(new Error('is a directory'), { code: 'EISDIR' }),
      `replacing ${config.outputPath}`,
      folder,
    );
  }
  if (config.sha256 === undefined) {
    return {
      action: 'download',
      tempFiles,
      reason: 'no ARTIFACT_SHA256 to prove a file in place',
    };
  }
  if (existing === undefined) return { action: 'download', tempFiles, reason: 'no file in place' };
  if (!existing.isFile())
    return { action: 'download', tempFiles, reason: 'the target is not a regular file' };
  if (existing.size !== config.expectedSizeBytes) {
    return { action: 'download', tempFiles, reason: 'the file in place has another size' };
  }
  const digest = await sha256OfFile(config.outputPath, signal).catch(() => {
    // An unreadable file only means downloading again; the deadline or a signal must still stop us.
    if (signal.aborted) throw signal.reason;
    return undefined;
  });
  if (digest !== config.sha256) {
    return {
      action: 'download',
      tempFiles,
      reason: 'the file in place has another SHA-256',
    };
  }
  return { action: 'skip', tempFiles, sha256: digest };
}

async function sha256OfFile(path: string, signal: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  // O_NOFOLLOW-like safety comes from the lstat above; a race would only cause a re-download.
  await pipeline(createReadStream(path), hash, { signal });
  return hash.digest('hex');
}
