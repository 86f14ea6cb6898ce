/**
 * The flags of `serve` and `sign`, in the one option system of src/options/:
 * each flag is declared once with its parser (and default), the command line
 * is parsed strictly, and a value is parsed where the command reads it, so a
 * problem is reported as `--flag: expected ..., got "..."`.
 */
import { parseArgs } from 'node:util';
import { nearestName } from '../options/nearest-name.ts';
import { ConfigError } from '../errors.ts';
import { problemOf } from '../options/expected.ts';

/** A flag that takes a value, parsed by one of the parsers of src/options/. */
export interface ValueFlag<T, D = T | undefined> {
  readonly kind: 'value';
  readonly flag: string;
  readonly parse: (raw: string) => T;
  readonly defaultValue: D;
}

/** A flag that takes no value: given or not. */
export interface SwitchFlag {
  readonly kind: 'switch';
  readonly flag: string;
}

export type ToolFlag = ValueFlag<unknown, unknown> | SwitchFlag;

export function valueFlag<T>(flag: string, parse: (raw: string) => T): ValueFlag<T, undefined>;
export function valueFlag<T>(
  flag: string,
  parse: (raw: string) => T,
  defaultValue: T,
): ValueFlag<T, T>;
export function valueFlag<T>(
  flag: string,
  parse: (raw: string) => T,
  defaultValue?: T,
): ValueFlag<T, T | undefined> {
  return { kind: 'value', flag, parse, defaultValue };
}

export function switchFlag(flag: string): SwitchFlag {
  return { kind: 'switch', flag };
}

/** Text taken as given (a path, a host, a name). */
export function text(raw: string): string {
  return raw;
}

/** A command line parsed against its declared flags. */
export class ToolFlags {
  readonly #command: string;
  readonly #values: Readonly<Record<string, string | boolean | undefined>>;

  constructor(command: string, values: Readonly<Record<string, string | boolean | undefined>>) {
    this.#command = command;
    this.#values = values;
  }

  get help(): boolean {
    return this.#values.help === true;
  }

  /** The flag's value, parsed; its default when not given. */
  read<T, D>(option: ValueFlag<T, D>): T | D {
    const raw = this.#values[option.flag];
    if (typeof raw !== 'string') return option.defaultValue;
    try {
      return option.parse(raw);
    } catch (error) {
      throw new ConfigError(problemOf(`--${option.flag}`, error), { cause: error });
    }
  }

  /** A value that must be given (and not empty). */
  required(option: ValueFlag<string, undefined>): string {
    const value = this.read(option);
    if (value === undefined || value === '') {
      throw new ConfigError(
        `--${option.flag} is required (see runtime-loader ${this.#command} --help)`,
      );
    }
    return value;
  }

  isSet(option: SwitchFlag): boolean {
    return this.#values[option.flag] === true;
  }

  given(option: ToolFlag): boolean {
    return this.#values[option.flag] !== undefined;
  }
}

/** Strict flag parsing for a subcommand: an unknown flag or a stray argument is a ConfigError. */
export function parseToolFlags(
  command: string,
  args: readonly string[],
  flags: Readonly<Record<string, ToolFlag>>,
): ToolFlags {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const { kind, flag } of Object.values(flags))
    options[flag] = { type: kind === 'value' ? 'string' : 'boolean' };
  const names = Object.keys(options);
  try {
    const { values } = parseArgs({
      args: [...args],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    return new ToolFlags(command, values);
  } catch (error) {
    throw new ConfigError(
      `${describeFlagError(error, names)} (see runtime-loader ${command} --help)`,
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
