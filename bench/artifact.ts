// Benchmark artifacts: random bytes written in chunks, hashed on the way, never held whole in memory.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/** A scratch folder for a lever bench: the served artifact, the serve secret, an output folder. */
export interface LeverWorkspace {
  readonly work: string;
  readonly served: string;
  readonly secret: string;
  readonly secretFile: string;
  /** The artifact's SHA-256, hex. */
  readonly sha256: string;
}

export async function leverWorkspace(name: string, sizeBytes: number): Promise<LeverWorkspace> {
  const work = await mkdtemp(join(tmpdir(), `${name}-`));
  const served = join(work, 'served');
  await mkdir(join(work, 'out'), { recursive: true });
  await mkdir(served);
  const secret = randomBytes(32).toString('base64url');
  const secretFile = join(work, 'secret');
  await writeFile(secretFile, secret, { mode: 0o600 });
  const sha256 = await writeRandomFile(join(served, 'artifact.bin'), sizeBytes);
  return { work, served, secret, secretFile, sha256 };
}
