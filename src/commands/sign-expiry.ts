import { ConfigError } from '../errors.ts';
import { signFlags } from './sign-flags.ts';
import type { ToolFlags } from './tool-flags.ts';

const maxTtlSeconds = 7 * 86_400;

/** When the signed URL expires: at --expires-at, or --ttl from now (15 minutes by default); 7 days at most. */
export function expiryOf(flags: ToolFlags): { expiresAt: Date } | { ttlSeconds: number } {
  const expiresAt = flags.read(signFlags.expiresAt);
  if (expiresAt !== undefined) {
    if (expiresAt.getTime() - Date.now() > maxTtlSeconds * 1000) {
      throw new ConfigError(
        '--expires-at: at most 7d from now; a signed URL is a credential, keep it short-lived',
      );
    }
    return { expiresAt };
  }
  const ttlSeconds = flags.read(signFlags.ttlSeconds);
  if (ttlSeconds > maxTtlSeconds) {
    throw new ConfigError('--ttl: at most 7d; a signed URL is a credential, keep it short-lived');
  }
  return { ttlSeconds };
}
