/**
 * Where the registry credentials are read from, once, at the edge: the file
 * LOADER_REGISTRY_AUTH_FILE names, else `$DOCKER_CONFIG/config.json`, else
 * none (anonymous pulls). A file that is named but cannot be read is a
 * configuration error: a Secret that failed to mount must not turn into an
 * anonymous pull that fails later with a less helpful 401.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Environment } from '../config/environment.ts';
import { ConfigError } from '../errors.ts';
import type { Redactor } from '../log/redact.ts';
import { type AuthFile, parseAuthFile } from './credentials.ts';

export const authFileVariable = 'LOADER_REGISTRY_AUTH_FILE';
export const dockerConfigVariable = 'DOCKER_CONFIG';

export interface AuthFileLocation {
  readonly path: string;
  /** How errors name it: `LOADER_REGISTRY_AUTH_FILE (/path)`. */
  readonly source: string;
}

/** The auth file the environment points at, or undefined when it points at none. */
export function authFileLocation(env: Environment): AuthFileLocation | undefined {
  const named = env[authFileVariable];
  if (named !== undefined && named !== '')
    return { path: named, source: `${authFileVariable} (${named})` };
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
