/**
 * The registry credentials, read once when a registry is first asked: the
 * file config/registry-settings.ts located (the auth-file setting, else
 * `$DOCKER_CONFIG/config.json`), read as ARTIFACT_URL_FILE is (a regular
 * file of bounded size, opened without waiting), every secret in it handed
 * to the redactor before anything else is done with it. A file that is
 * named but cannot be read is a configuration error: a Secret that failed to
 * mount must not turn into an anonymous pull that fails later with a less
 * helpful 401.
 */
import type { AuthFileLocation } from '../config/types.ts';
import { ConfigError } from '../errors.ts';
import type { Redactor } from '../log/redact.ts';
import { readSmallFile } from '../process/small-file.ts';
import { type AuthFile, maxAuthFileBytes, parseAuthFile } from './credentials.ts';

/** Reads and parses the auth file; every secret in it reaches `redactor` before anything else. */
export function readAuthFile(location: AuthFileLocation, redactor: Redactor): AuthFile {
  let bytes: Buffer;
  try {
    bytes = readSmallFile({
      path: location.path,
      name: location.source,
      holding: 'a Docker config.json',
      tooLargeFor: 'a Docker config.json',
      maxBytes: maxAuthFileBytes,
    });
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
  return parseAuthFile(bytes.toString('utf8'), location.source, redactor);
}
