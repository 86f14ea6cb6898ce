import { parseArgs } from 'node:util';
import { ConfigError } from '../errors.ts';
import { defaults } from './defaults.ts';
import { nearestName } from './nearest-name.ts';
import { credentialsProblem, parseArtifactUrl } from './parse-values.ts';
import { type Setting, settings } from './settings.ts';
import type { LoaderConfig, LogFormat, ProxySettings, VerifyJar } from './types.ts';
import { findUnknownVariables } from './unknown-variables.ts';
import { readUrlFile } from './url-file.ts';

export type Invocation =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'run'; readonly config: LoaderConfig };

export interface Environment {
  readonly [name: string]: string | undefined;
}

type SettingKey = keyof typeof settings;

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
  const flags = parseFlags(argv);
  if (flags.help === true) return { kind: 'help' };
  if (flags.version === true) return { kind: 'version' };

  // Every problem is collected, so one failed start reports all of them, not the first.
  const problems: string[] = [];
  const invalid = new Set<SettingKey>();
  const read = (key: SettingKey): unknown => {
    try {
      return readSetting(settings[key] as Setting<unknown>, flags, env);
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
      invalid.add(key);
      return undefined;
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
  const required = <T>(key: SettingKey, value: T | undefined): T => {
    if (value === undefined && !invalid.has(key)) {
      const { env: name, flag } = settings[key];
      problems.push(`${name} (or --${flag}) is required but not set${typoHint(name)}`);
    }
    return value as T;
  };

  const logFormat = logFormatFor(read('logFormat'), stdoutIsTerminal);
  // A bar on a terminal (the Logger draws one for text on a terminal) is redrawn often; events are not.
  const progressBar = logFormat === 'text' && stdoutIsTerminal;
  const config: LoaderConfig = {
    url: readUrl(flags, env, read, problems, onSecretValue, typoHint) as URL,
    expectedSizeBytes: required(
      'expectedSizeBytes',
      read('expectedSizeBytes') as number | undefined,
    ),
    outputPath: read('outputPath') as string,
    sha256: read('sha256') as string | undefined,
    verifyJar: read('verifyJar') as VerifyJar,
    keepVerified: read('keepVerified') as boolean,
    logFormat,
    deadlineMs: read('deadlineMs') as number,
    connectTimeoutMs: read('connectTimeoutMs') as number,
    stallTimeoutMs: read('stallTimeoutMs') as number,
    maxAttempts: read('maxAttempts') as number,
    connections: read('connections') as number,
    parallelThresholdBytes: read('parallelThresholdBytes') as number,
    backoffBaseMs: read('backoffBaseMs') as number,
    backoffMaxMs: read('backoffMaxMs') as number,
    maxRedirects: defaults.maxRedirects,
    terminationLogPath: read('terminationLogPath') as string,
    progressIntervalMs: progressBar ? defaults.progressBarIntervalMs : defaults.progressIntervalMs,
    progressBar,
    proxy: readProxySettings(env, problems),
  };
  if (config.outputPath?.endsWith('/')) {
    problems.push(
      `${settings.outputPath.env} (or --output): expected a file path, got the folder "${config.outputPath}"`,
    );
  }
  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  return { kind: 'run', config };
}

/**
 * The artifact URL from ARTIFACT_URL, or from the file ARTIFACT_URL_FILE names
 * (read here, at the edge, once). One of the two, never both.
 */
function readUrl(
  flags: Flags,
  env: Environment,
  read: (key: SettingKey) => unknown,
  problems: string[],
  onSecretValue: (raw: string) => void,
  typoHint: (...names: string[]) => string,
): URL | undefined {
  const { url, urlFile } = settings;
  const names = (spec: Setting<unknown>) => `${spec.env} (or --${spec.flag})`;
  const given = (spec: Setting<unknown>) =>
    typeof flags[spec.flag] === 'string' || (env[spec.env] ?? '') !== '';
  if (given(url) && given(urlFile)) {
    problems.push(`${names(url)} and ${names(urlFile)} are both set; set only one of them`);
    return undefined;
  }
  if (!given(urlFile)) {
    const value = read('url') as URL | undefined;
    if (value === undefined && !given(url)) {
      problems.push(
        `${names(url)} or ${names(urlFile)} is required but not set${typoHint(url.env, urlFile.env)}`,
      );
    }
    return value;
  }
  const path = read('urlFile') as string | undefined;
  if (path === undefined) return undefined;
  try {
    const raw = readUrlFile(path);
    onSecretValue(raw);
    return parseArtifactUrl(raw);
  } catch (error) {
    problems.push(`${names(urlFile)}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

/** The requested log format when it is a valid one; otherwise text on a terminal, JSON elsewhere. */
export function logFormatFor(requested: unknown, stdoutIsTerminal: boolean): LogFormat {
  if (requested === 'json' || requested === 'text') return requested;
  return stdoutIsTerminal ? 'text' : 'json';
}

type Flags = Record<string, string | boolean | undefined>;

function parseFlags(argv: readonly string[]): Flags {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'V' },
  };
  for (const spec of Object.values(settings) as Setting<unknown>[]) {
    options[spec.flag] = { type: spec.negatedFlag === undefined ? 'string' : 'boolean' };
    if (spec.negatedFlag !== undefined) options[spec.negatedFlag] = { type: 'boolean' };
  }
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      // Not echoed: a stray argument is often the signed URL itself.
      throw new ConfigError(
        'invalid command line: unexpected argument (not shown: it may carry a signature); every setting is a --flag, see --help',
        { cause: error },
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError(
      `invalid command line: ${message.split('\n')[0]}${flagHint(error, options)} (see --help)`,
      { cause: error },
    );
  }
}

/**
 * What the parser's message leaves out: the flag an unknown one most likely
 * means, and the two forms of a boolean flag given a value.
 */
function flagHint(error: unknown, options: Record<string, { type: string }>): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const option = /'--?([^']+)'/.exec(String(message))?.[1];
  if (option === undefined) return '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const nearest = nearestName(option, Object.keys(options));
    return nearest?.likely === true ? `: did you mean --${nearest.name}?` : '';
  }
  const spec = (Object.values(settings) as Setting<unknown>[]).find(
    (candidate) => candidate.flag === option || candidate.negatedFlag === option,
  );
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && spec?.negatedFlag !== undefined) {
    return `: write --${spec.flag} or --${spec.negatedFlag}, without a value (or set ${spec.env})`;
  }
  return '';
}

function readSetting(spec: Setting<unknown>, flags: Flags, env: Environment): unknown {
  let source: string;
  let raw: string | undefined;
  if (spec.negatedFlag !== undefined && flags[spec.negatedFlag] === true) return false;
  const flagValue = flags[spec.flag];
  if (flagValue === true) return true;
  if (typeof flagValue === 'string') {
    source = `--${spec.flag}`;
    raw = flagValue;
  } else {
    source = spec.env;
    raw = env[spec.env];
  }
  if (raw === undefined) return spec.defaultValue;
  if (raw === '' && spec.defaultValue === undefined && source === spec.env) {
    // An empty required variable is as good as missing; say so rather than "expected a number".
    throw new Error(`${spec.env} (or --${spec.flag}) is set but empty; expected ${spec.valueName}`);
  }
  try {
    return spec.parse(raw);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const names =
      source === spec.env ? `${spec.env} (or --${spec.flag})` : `--${spec.flag} (or ${spec.env})`;
    throw new Error(`${names}: ${why}`);
  }
}

/**
 * HTTP_PROXY, HTTPS_PROXY and NO_PROXY, lower case first as curl and undici read
 * them. A proxy URL may hold credentials, so its value is never echoed.
 */
function readProxySettings(env: Environment, problems: string[]): ProxySettings {
  const read = (name: string) => {
    const lower = env[name.toLowerCase()];
    const [source, value] =
      lower !== undefined && lower !== '' ? [name.toLowerCase(), lower] : [name, env[name]];
    if (value === undefined || value === '') return undefined;
    if (name === 'NO_PROXY') return value;
    const url = URL.canParse(value) ? new URL(value) : undefined;
    if (url === undefined || !['http:', 'https:', 'socks5:', 'socks:'].includes(url.protocol)) {
      problems.push(
        `${source}: expected a proxy URL such as http://proxy.internal:3128 (with its scheme); the value is not shown`,
      );
      return undefined;
    }
    // undici decodes the proxy's credentials for Proxy-Authorization and would throw later.
    const problem = credentialsProblem(url);
    if (problem !== undefined) {
      problems.push(`${source}: ${problem}`);
      return undefined;
    }
    return value;
  };
  return {
    httpProxy: read('HTTP_PROXY'),
    httpsProxy: read('HTTPS_PROXY'),
    noProxy: read('NO_PROXY'),
  };
}
