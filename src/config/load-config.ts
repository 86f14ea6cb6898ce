import { ConfigError } from '../errors.ts';
import type { LogFormat } from '../log/logger.ts';
import { problemOf } from '../options/expected.ts';
import { defaults } from './defaults.ts';
import { type LoaderFlags, parseLoaderFlags } from './loader-flags.ts';
import { parseArtifactAddress } from './parse-values.ts';
import { readProxySettings } from './proxy-settings.ts';
import { namesOf, readSetting, variableOf } from './read-setting.ts';
import { readRegistrySettings } from './registry-settings.ts';
import { type Setting, type SettingKey, type SettingValue, settings } from './settings.ts';
import { readSignatureSettings } from './signature-settings.ts';
import type {
  ArtifactAddress,
  ArtifactLocation,
  Environment,
  LoaderConfig,
  RegistrySettings,
} from './types.ts';
import { findUnknownVariables } from './unknown-variables.ts';
import { readUrlFile } from './url-file.ts';

export type Invocation =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'run'; readonly config: LoaderConfig };

/**
 * Reads the configuration once, from flags first and the environment second,
 * validates every value, and returns it normalised. Throws ConfigError naming
 * the variable, the flag and what was expected.
 */
export function loadConfig(
  argv: readonly string[],
  env: Environment,
  stdoutIsTerminal: boolean,
  /** Hears every raw value read from a file that may hold a secret, before it is parsed. */
  onSecretValue: (raw: string) => void = () => {},
): Invocation {
  const flags = parseLoaderFlags(argv);
  if (flags.help === true) return { kind: 'help' };
  if (flags.version === true) return { kind: 'version' };

  // Every problem is collected, so one failed start reports all of them, not the first.
  const problems: string[] = [];
  const invalid = new Set<SettingKey>();
  /** A setting's value; its default (or undefined) when invalid, which is then a problem. */
  const read = <K extends SettingKey>(key: K): SettingValue<K> => {
    const spec = settings[key];
    try {
      return readSetting(spec, flags, env);
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
      invalid.add(key);
      return spec.defaultValue;
    }
  };
  const unknownVariables = findUnknownVariables(env);
  // A value that was given but invalid is already reported; only a missing one is reported here,
  // with the mistyped variable that was probably meant for it.
  const typoHint = (...names: string[]): string =>
    unknownVariables
      .filter((variable) => variable.likely && names.includes(variable.nearest))
      .map((variable) => ` (found ${variable.name}: did you mean ${variable.nearest}?)`)
      .join('');

  const logFormat = logFormatFor(read('logFormat'), stdoutIsTerminal);
  // A bar on a terminal (the Logger draws one for text on a terminal) is redrawn often; events are not.
  const progressBar = logFormat === 'text' && stdoutIsTerminal;
  const address = readUrl(flags, env, read, problems, onSecretValue, typoHint);
  const expectedSizeBytes = read('expectedSizeBytes');
  const registry = readRegistrySettings(read, env);
  // An oci:// reference may leave the size out: the manifest gives it.
  const sizeRequired = address?.kind !== 'oci';
  if (sizeRequired && expectedSizeBytes === undefined && !invalid.has('expectedSizeBytes')) {
    const name = settings.expectedSizeBytes.env;
    problems.push(
      `${namesOf(settings.expectedSizeBytes)} is required but not set${typoHint(name)}`,
    );
  }
  const outputPath = read('outputPath');
  const rest = {
    sha256: read('sha256'),
    verifyJar: read('verifyJar'),
    keepVerified: read('keepVerified'),
    deadlineMs: read('deadlineMs'),
    connectTimeoutMs: read('connectTimeoutMs'),
    stallTimeoutMs: read('stallTimeoutMs'),
    maxAttempts: read('maxAttempts'),
    connections: read('connections'),
    parallelThresholdBytes: read('parallelThresholdBytes'),
    backoffBaseMs: read('backoffBaseMs'),
    backoffMaxMs: read('backoffMaxMs'),
    terminationLogPath: read('terminationLogPath'),
  };
  const signature = readSignatureSettings(flags, env, read, problems, address?.kind === 'oci');
  const proxy = readProxySettings(env, problems);
  if (!invalid.has('outputPath') && outputPath.endsWith('/')) {
    problems.push(
      `${settings.outputPath.env} (or --output): expected a file path, got the folder "${outputPath}"`,
    );
  }
  const artifact = locationOf(address, expectedSizeBytes, registry);
  if (problems.length > 0 || artifact === undefined) {
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  const progressIntervalMs = progressBar
    ? defaults.progressBarIntervalMs
    : defaults.progressIntervalMs;
  const config: LoaderConfig = {
    artifact,
    outputPath,
    ...rest,
    ...signature,
    logFormat,
    maxRedirects: defaults.maxRedirects,
    progressIntervalMs,
    progressBar,
    proxy,
  };
  return { kind: 'run', config };
}

/** The artifact's location, when the address and (for a URL) the size were read. */
function locationOf(
  address: ArtifactAddress | undefined,
  expectedSizeBytes: number | undefined,
  registry: RegistrySettings,
): ArtifactLocation | undefined {
  if (address?.kind === 'oci') return { ...address, expectedSizeBytes, registry };
  if (address === undefined || expectedSizeBytes === undefined) return undefined;
  return { ...address, expectedSizeBytes };
}

/**
 * The artifact's address from ARTIFACT_URL, or from the file ARTIFACT_URL_FILE
 * names (read here, at the edge, once). One of the two, never both.
 */
function readUrl(
  flags: LoaderFlags,
  env: Environment,
  read: <K extends SettingKey>(key: K) => SettingValue<K>,
  problems: string[],
  onSecretValue: (raw: string) => void,
  typoHint: (...names: string[]) => string,
): ArtifactAddress | undefined {
  const { url, urlFile } = settings;
  // An empty flag is reported as such (by its read), not as one of two.
  const emptyFlags = (['url', 'urlFile'] as const).filter(
    (key) => flags[settings[key].flag] === '',
  );
  if (emptyFlags.length > 0) {
    for (const key of emptyFlags) read(key);
    return undefined;
  }
  const given = (spec: Setting<unknown, unknown>) =>
    typeof flags[spec.flag] === 'string' || variableOf(spec, env) !== undefined;
  if (given(url) && given(urlFile)) {
    problems.push(`${namesOf(url)} and ${namesOf(urlFile)} are both set; set only one of them`);
    return undefined;
  }
  if (!given(urlFile)) {
    const value = read('url');
    if (value === undefined && !given(url)) {
      problems.push(
        `${namesOf(url)} or ${namesOf(urlFile)} is required but not set${typoHint(url.env, urlFile.env)}`,
      );
    }
    return value;
  }
  const path = read('urlFile');
  if (path === undefined) return undefined;
  try {
    const raw = readUrlFile(path);
    onSecretValue(raw);
    return parseArtifactAddress(raw);
  } catch (error) {
    problems.push(problemOf(namesOf(urlFile), error));
    return undefined;
  }
}

/** The requested log format when it is a valid one; otherwise text on a terminal, JSON elsewhere. */
export function logFormatFor(requested: unknown, stdoutIsTerminal: boolean): LogFormat {
  if (requested === 'json' || requested === 'text') return requested;
  return stdoutIsTerminal ? 'text' : 'json';
}
