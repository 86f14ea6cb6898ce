/**
 * The settings of a pull from an OCI registry, read with the others at the
 * edge: the plain-HTTP list, the mirrors, the image file, and where the
 * credentials are: the file the auth-file setting names, else
 * `$DOCKER_CONFIG/config.json` (a conventional variable, read here as the
 * proxy variables are), else none (anonymous pulls). The file itself is read
 * by the resolve stage, which hands every secret in it to the redactor.
 */
import { namesOf } from './read-setting.ts';
import { type SettingKey, type SettingValue, settings } from './settings.ts';
import type { AuthFileLocation, Environment, RegistrySettings } from './types.ts';

/** Docker's own variable: the folder of config.json. Not ours, so no unknown-variable warning. */
export const dockerConfigVariable = 'DOCKER_CONFIG';

/** The registry settings, each read by `read` (which reports an invalid one). */
export function readRegistrySettings(
  read: <K extends SettingKey>(key: K) => SettingValue<K>,
  env: Environment,
): RegistrySettings {
  return {
    plainHttp: read('registryPlainHttp') ?? new Set(),
    mirrors: [...(read('registryMirrors') ?? [])],
    authFile: authFileLocation(
      { path: read('registryAuthFile'), names: namesOf(settings.registryAuthFile) },
      env,
    ),
    imageFile: read('ociFile'),
  };
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
  const path = `${folder.replace(/\/+$/, '')}/config.json`;
  return { path, source: `${dockerConfigVariable} (${path})` };
}
