import { problemOf } from '../options/expected.ts';
import type { LoaderFlags } from './loader-flags.ts';
import type { Setting } from './settings.ts';
import type { Environment } from './types.ts';

/** `ARTIFACT_URL (or --url)`: how a problem names a setting. */
export function namesOf(spec: Setting<unknown, unknown>): string {
  return `${spec.env} (or --${spec.flag})`;
}

/**
 * One setting from its flag, else its variable, else its default; parsed by
 * the setting's parser. An empty variable counts as unset (Helm and Compose
 * write one for a value not given); an empty flag is a mistake. Throws an
 * Error naming the flag or variable the value came from (first), the other,
 * and what was expected.
 */
export function readSetting<T, D>(
  spec: Setting<T, D>,
  flags: LoaderFlags,
  env: Environment,
): T | D {
  if (spec.negatedFlag !== undefined && flags[spec.negatedFlag] === true)
    return spec.parse('false');
  const flagValue = flags[spec.flag];
  if (flagValue === true) return spec.parse('true');
  if (flagValue === '') {
    throw new Error(`--${spec.flag} is given an empty value; expected ${spec.valueName}`);
  }
  const fromFlag = typeof flagValue === 'string';
  const raw = fromFlag ? flagValue : variableOf(spec, env);
  if (raw === undefined) return spec.defaultValue;
  try {
    return spec.parse(raw);
  } catch (error) {
    throw new Error(problemOf(fromFlag ? `--${spec.flag} (or ${spec.env})` : namesOf(spec), error));
  }
}

/** The setting's variable; undefined when unset or empty, which mean the same. */
export function variableOf(spec: Setting<unknown, unknown>, env: Environment): string | undefined {
  const raw = env[spec.env];
  return raw === '' ? undefined : raw;
}
