import { readFile, stat } from 'node:fs/promises';
import { ConfigError } from '../errors.ts';
import { quote } from '../options/expected.ts';
import { type SigningKey, signingKey } from '../urls/keys.ts';

export interface SecretFile {
  /** The first secret signs; all of them verify. */
  readonly keys: readonly [SigningKey, ...SigningKey[]];
  /**
   * Set when others can read the file, or its group can write it. A group
   * that may read it is how a secret is shared on purpose: the kubelet mounts
   * a Secret owned by the pod's fsGroup with group read (0440).
   */
  readonly tooOpen: boolean;
}

const maxSecretFileBytes = 64 * 1024;

/**
 * Reads the signing secrets: one per line, blank lines and `#` comments
 * ignored. To rotate, add the new secret as the first line and remove the old
 * one once every URL it signed has expired. Contents never appear in errors.
 */
export async function readSecretFile(path: string): Promise<SecretFile> {
  const shown = `--secret-file ${quote(path)}`;
  let text: string;
  let mode: number;
  try {
    const stats = await stat(path);
    if (!stats.isFile()) throw new ConfigError(`${shown} is not a regular file`);
    if (stats.size > maxSecretFileBytes) {
      throw new ConfigError(`${shown} is ${stats.size} bytes; expected a few lines`);
    }
    mode = stats.mode;
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`${shown} cannot be read (${code})`, { cause: error });
  }
  const secrets = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const keys = secrets.map((secret, index) => {
    try {
      return signingKey(secret);
    } catch (error) {
      throw new ConfigError(`${shown}, secret ${index + 1}: ${(error as Error).message}`);
    }
  });
  const [first, ...rest] = keys;
  if (first === undefined) {
    throw new ConfigError(
      `${shown} holds no secret; put one per line (e.g. openssl rand -base64 32 > FILE)`,
    );
  }
  return { keys: [first, ...rest], tooOpen: (mode & 0o027) !== 0 };
}
