import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';

/** Mode of the published file: readable by the main container's user, whatever its uid. */
export const artifactMode = 0o644;

/** `.app.jar.<16 hex>.partial`: hidden, tied to the target's name, recognisable after a crash. */
export function tempNameFor(targetPath: string): string {
  return `.${basename(targetPath)}.${randomBytes(8).toString('hex')}.partial`;
}

export function isTempNameFor(targetPath: string, name: string): boolean {
  const prefix = `.${basename(targetPath)}.`;
  return name.startsWith(prefix) && /^[0-9a-f]{16}\.partial$/.test(name.slice(prefix.length));
}
