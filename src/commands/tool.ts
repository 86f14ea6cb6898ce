/**
 * A companion tool (`serve`, `sign`): what it gets from the edge, and its
 * flags. Each flag is declared once, in its tool's table, with its parser,
 * default and description: the command line is parsed against the table
 * (options/command-line.ts), a value is parsed where the tool reads it, so a
 * problem is reported as `--flag: expected ..., got "..."`, and --help is
 * generated from the table.
 */
import { wrapWords } from '../config/help.ts';
import { ConfigError } from '../errors.ts';
import { type Flags, type FlagValues, parseCommandLine } from '../options/command-line.ts';
import { problemOf } from '../options/expected.ts';

/** What a tool gets from the edge (cli.ts): its outputs and the stop signal. */
export interface ToolIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdoutIsTerminal: boolean;
  /** The environment, read at the edge (sign --k8s-apply finds the API server in it). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborts on SIGTERM or SIGINT. */
  readonly signal: AbortSignal;
}

interface Described {
  readonly flag: string;
  /** What the flag does, for --help. */
  readonly description: string;
}

/** A flag that takes a value, parsed by one of the parsers of src/options/. */
export interface ValueFlag<T, D = T | undefined> extends Described {
  readonly kind: 'value';
  /** What the value is, for --help: `DIR`, `DURATION`, `N`. */
  readonly valueName: string;
  readonly parse: (raw: string) => T;
  readonly defaultValue: D;
  /** The default as --help shows it: as a user would write it, or in words when there is none. */
  readonly shownDefault: string | undefined;
  /** --help marks it required; read it with ToolFlags.required. */
  readonly required: boolean;
}

/** A flag that takes no value: given or not. */
export interface SwitchFlag extends Described {
  readonly kind: 'switch';
}

export type ToolFlag = ValueFlag<unknown, unknown> | SwitchFlag;

interface ValueFlagHelp {
  readonly valueName: string;
  readonly description: string;
}

/** A value that must be given: read it with ToolFlags.required. */
export function valueFlag<T>(
  flag: string,
  parse: (raw: string) => T,
  help: ValueFlagHelp & { readonly required: true },
): ValueFlag<T, undefined> & { readonly required: true };
/** A value with a default, written as a user would write it (`15m`, `8080`), parsed here. */
export function valueFlag<T>(
  flag: string,
  parse: (raw: string) => T,
  help: ValueFlagHelp & { readonly defaultAsWritten: string },
): ValueFlag<T, T>;
/** A value without a default (undefined when not given), what happens then said in words. */
export function valueFlag<T>(
  flag: string,
  parse: (raw: string) => T,
  help: ValueFlagHelp & { readonly defaultInWords?: string },
): ValueFlag<T, undefined>;
export function valueFlag<T>(
  flag: string,
  parse: (raw: string) => T,
  help: ValueFlagHelp & {
    readonly required?: true;
    readonly defaultInWords?: string;
    readonly defaultAsWritten?: string;
  },
): ValueFlag<T, T | undefined> {
  const written = help.defaultAsWritten;
  return {
    kind: 'value',
    flag,
    valueName: help.valueName,
    description: help.description,
    parse,
    defaultValue: written === undefined ? undefined : parse(written),
    shownDefault: written ?? help.defaultInWords,
    required: help.required === true,
  };
}

export function switchFlag(flag: string, description: string): SwitchFlag {
  return { kind: 'switch', flag, description };
}

/** Text taken as given (a path, a host, a name). */
export function text(raw: string): string {
  return raw;
}

/** A command line parsed against its declared flags. */
export class ToolFlags {
  readonly #command: string;
  readonly #values: FlagValues;

  constructor(command: string, values: FlagValues) {
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
  required(option: ValueFlag<string, undefined> & { readonly required: true }): string {
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

/** Strict flag parsing for a tool: an unknown flag or a stray argument is a ConfigError. */
export function parseToolFlags(
  command: string,
  args: readonly string[],
  table: Readonly<Record<string, ToolFlag>>,
): ToolFlags {
  const flags: Flags = Object.fromEntries([
    ...Object.values(table).map(({ kind, flag }) => [
      flag,
      { type: kind === 'value' ? 'string' : 'boolean' },
    ]),
    ['help', { type: 'boolean', short: 'h' }],
  ]);
  return new ToolFlags(command, parseCommandLine(args, flags, `runtime-loader ${command} --help`));
}

/** Where descriptions start in --help, and how wide its lines are at most. */
const descriptionColumn = 28;
const lineWidth = 100;

/**
 * A tool's --help: its usage (with the required flags), what it does (as
 * written), then a row per flag of its table, with `(required)` and the
 * default it shows.
 */
export function toolHelp(
  command: string,
  summary: string,
  table: Readonly<Record<string, ToolFlag>>,
): string {
  const flags = Object.values(table);
  const usage = flags
    .filter((flag) => flag.kind === 'value' && flag.required)
    .map((flag) => `--${flag.flag} ${flag.kind === 'value' ? flag.valueName : ''}`);
  const rows = flags.map((flag) => {
    const name = flag.kind === 'value' ? `--${flag.flag} ${flag.valueName}` : `--${flag.flag}`;
    const required = flag.kind === 'value' && flag.required ? ' (required)' : '';
    const shown = flag.kind === 'value' ? flag.shownDefault : undefined;
    const fallback = shown === undefined ? '' : ` [default: ${shown}]`;
    const indent = ' '.repeat(descriptionColumn);
    const lines = wrapWords(
      `${flag.description}${required}${fallback}`,
      lineWidth - descriptionColumn,
    );
    const head = `  ${name}`;
    const first =
      head.length < descriptionColumn ? `${head.padEnd(descriptionColumn)}${lines.shift()}` : head;
    return [first, ...lines.map((line) => `${indent}${line}`)].join('\n');
  });
  return [
    `Usage: runtime-loader ${command} ${[...usage, '[flags]'].join(' ')}`,
    '',
    summary,
    '',
    ...rows,
    '',
  ].join('\n');
}
