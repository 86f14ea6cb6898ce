// Temporary directories and deterministic-enough artifact bytes for tests.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  path: string;
  cleanup(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A fresh directory under the OS temp dir. Mode 0o755 so a loader child
 * running as another uid can traverse it (mkdtemp creates it 0o700).
 */
export async function makeTempDir(prefix = 'runtime-loader-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  await chmod(path, 0o755);
  const cleanup = () => rm(path, { recursive: true, force: true });
  return { path, cleanup, [Symbol.asyncDispose]: cleanup };
}

export function randomBytesBuffer(sizeBytes: number): Buffer {
  return randomBytes(sizeBytes);
}

export function sha256Hex(data: Buffer | Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}
