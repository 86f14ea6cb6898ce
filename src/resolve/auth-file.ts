/**
 * Where the registry credentials are read from, once, at the edge: the file
 * the auth-file setting names, else `$DOCKER_CONFIG/config.json` (a
 * conventional variable, read here as the proxy variables are), else none
 * (anonymous pulls). A file that is named but cannot be read is a
 * configuration error: a Secret that failed to mount must not turn into an
 * anonymous pull that fails later with a less helpful 401.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Environment } from '../config/types.ts';
import { ConfigError } from '../errors.ts';
import type { Redactor } from '../log/redact.ts';
import { type AuthFile, parseAuthFile } from './credentials.ts';

export const dockerConfigVariable = 'DOCKER_CONFIG';

export interface AuthFileLocation {
  readonly path: string;
  /** How errors name it: the setting or variable, then the path. */
  readonly source: string;
}

/** The auth file's setting as read: its value, and its names as errors give them. */
export interface AuthFileSetting {
  readonly path: string | undefined;
  readonly names: string;
}

/** The auth file the setting or the environment points at, or undefined when none is. */
export function authFileLocation(
  setting: AuthFileSetting,
  env: Environment,
): AuthFileLocation | undefined {
  if (setting.path !== undefined && setting.path !== '') {
    return { path: setting.path, source: `${setting.names} (${setting.path})` };
  }
  const folder = env[dockerConfigVariable];
  if (folder === undefined || folder === '') return undefined;
  const path = join(folder, 'config.json');
  return { path, source: `${dockerConfigVariable} (${path})` };
}

/** Reads and parses the auth file; every secret in it reaches `redactor` before anything else. */
export function readAuthFile(location: AuthFileLocation, redactor: Redactor): AuthFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(location.path);
  } catch (error) {
    throw new ConfigError(unreadable(location, error), { cause: error });
  }
  return parseAuthFile(bytes.toString('utf8'), location.source, redactor);
}

function unreadable({ source }: AuthFileLocation, error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT')
    return `cannot read ${source}: no such file (is the Secret volume mounted?)`;
  if (code === 'EACCES') {
    return `cannot read ${source}: permission denied (the loader runs as UID 1000: mount the Secret with defaultMode 0440 and fsGroup 1000, or 0444)`;
  }
  if (code === 'EISDIR') return `${source} is a folder; expected the config.json file`;
  return `cannot read ${source} (${typeof code === 'string' ? code : String(error)})`;
}
