import { parseArgs } from 'node:util';
import { nearestName } from '../config/nearest-name.ts';
import { ConfigError } from '../errors.ts';

export type FlagSpec = Record<string, { readonly type: 'string' | 'boolean' }>;
export type ParsedFlags = Record<string, string | boolean | undefined>;

/** Strict flag parsing for a subcommand: an unknown flag or a stray argument is a ConfigError. */
export function parseFlags(command: string, args: readonly string[], spec: FlagSpec): ParsedFlags {
  try {
    const { values } = parseArgs({
      args: [...args],
      options: { ...spec, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    return values as ParsedFlags;
  } catch (error) {
    throw new ConfigError(
      `${describeFlagError(error, Object.keys(spec))} (see runtime-loader ${command} --help)`,
    );
  }
}

/**
 * Node's first sentence, except that a stray value is not echoed (it could be
 * a secret), and an unknown flag gets the known one it most likely means.
 */
function describeFlagError(error: unknown, flags: readonly string[]): string {
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith('Unexpected argument'))
    return 'unexpected argument; this command takes flags only';
  const sentence = message.split(/\.( |$)/)[0] ?? message;
  const unknown = /^Unknown option '--([^']+)'/.exec(sentence)?.[1];
  const nearest = unknown === undefined ? undefined : nearestName(unknown, flags);
  return nearest?.likely === true ? `${sentence}: did you mean --${nearest.name}?` : sentence;
}

export function requiredString(flags: ParsedFlags, name: string, command: string): string {
  const value = flags[name];
  if (typeof value !== 'string' || value === '') {
    throw new ConfigError(`--${name} is required (see runtime-loader ${command} --help)`);
  }
  return value;
}

const secondsPerUnit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90`, `90s`, `15m`, `2h`, `7d` as seconds. */
export function parseDurationSeconds(raw: string, flag: string): number {
  const match = /^([0-9]+)(s|m|h|d)?$/.exec(raw.trim());
  const seconds =
    match === null ? Number.NaN : Number(match[1]) * (secondsPerUnit[match[2] ?? 's'] ?? 1);
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new ConfigError(
      `--${flag}: expected a positive duration such as 90s, 15m, 2h or 7d, got ${JSON.stringify(raw.slice(0, 40))}`,
    );
  }
  return seconds;
}

const bytesPerUnit: Record<string, number> = {
  '': 1,
  k: 1000,
  kib: 1024,
  m: 1e6,
  mib: 1024 ** 2,
  g: 1e9,
  gib: 1024 ** 3,
};

/** `41943040`, `40MiB`, `40M` (powers of 1000) as bytes. */
export function parseBytes(raw: string, flag: string): number {
  const match = /^([0-9]+)\s*([kmg]i?b?|b)?$/i.exec(raw.trim());
  const unit = (match?.[2] ?? '')
    .toLowerCase()
    .replace(/^([kmg])b$/, '$1')
    .replace(/^b$/, '');
  const bytes = match === null ? Number.NaN : Number(match[1]) * (bytesPerUnit[unit] ?? Number.NaN);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new ConfigError(
      `--${flag}: expected a positive size such as 41943040, 40MiB or 40M, got ${JSON.stringify(raw.slice(0, 40))}`,
    );
  }
  return bytes;
}

/** A count such as `32`: digits only, at least 1. */
export function parseCount(raw: string, flag: string): number {
  const count = /^[0-9]{1,6}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!(count >= 1)) {
    throw new ConfigError(
      `--${flag}: expected a whole number from 1 to 999999, got ${JSON.stringify(raw.slice(0, 40))}`,
    );
  }
  return count;
}
