// Benchmark artifacts: random bytes written in chunks, hashed on the way, never held whole in memory.
import { createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';

export async function writeRandomFile(path: string, sizeBytes: number): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, 'w');
  try {
    const chunkBytes = 8 * 1024 * 1024;
    for (let written = 0; written < sizeBytes; written += chunkBytes) {
      const chunk = randomBytes(Math.min(chunkBytes, sizeBytes - written));
      hash.update(chunk);
      await handle.write(chunk);
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}
