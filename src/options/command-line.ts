/**
 * The one command-line parser of the loader and its tools: node's parseArgs,
 * strict, flags only. Its errors read alike for every command, and are told
 * apart by parseArgs' codes, not by its wording: an unknown flag is given the
 * known one it most likely means; a stray argument is never echoed (it is
 * often the signed URL itself); a boolean flag given a value is shown its two
 * forms.
 */
import { ConfigError } from '../errors.ts';
import { nearestName } from './nearest-name.ts';

/** One flag as the parser takes it. */
export interface Flag {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** A boolean in two forms, such as `--verify-jar` and `--no-verify-jar`: both. */
  readonly forms?: readonly [on: string, off: string];
  /** The environment variable the flag mirrors, for the hint to a boolean given a value. */
  readonly variable?: string;
}

export type Flags = Readonly<Record<string, Flag>>;
export type FlagValues = Readonly<Record<string, string | boolean | undefined>>;

/**
 * The values of `args` by flag name. An unknown flag, a stray argument or a
 * value where none belongs is a ConfigError that ends by pointing at `help`
 * (`--help`, `runtime-loader serve --help`).
 */
export function parseCommandLine(args: readonly string[], flags: Flags, help: string): FlagValues {
  const options = Object.fromEntries(
    Object.entries(flags).map(([name, { type, short }]) => [
      name,
      short === undefined ? { type } : { type, short },
    ]),
  );
  // No flags, no parser: node:util loads a dozen modules (a container is set up by variables).
  if (args.length === 0) return Object.create(null);
  try {
    const { parseArgs } = process.getBuiltinModule('node:util');
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new ConfigError(`invalid command line: ${describe(error, flags)} (see ${help})`, {
      cause: error,
    });
  }
}

function describe(error: unknown, flags: Flags): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  // Not echoed: a stray argument is often the signed URL itself.
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return 'unexpected argument (not shown: it may carry a signature); this command takes flags only';
  }
  const firstLine = String(message).split('\n')[0] ?? '';
  return `${firstLine}${hint(code, firstLine, flags)}`;
}

/**
 * What the parser's message leaves out: the flag an unknown one most likely
 * means, and the two forms of a boolean flag given a value.
 */
function hint(code: unknown, firstLine: string, flags: Flags): string {
  const name = /'--?([^']+)'/.exec(firstLine)?.[1];
  if (name === undefined) return '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const nearest = nearestName(name, Object.keys(flags));
    return nearest?.likely === true ? `: did you mean --${nearest.name}?` : '';
  }
  const forms = Object.hasOwn(flags, name) ? flags[name]?.forms : undefined;
  if (code !== 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || forms === undefined) return '';
  const variable = flags[name]?.variable;
  const orSet = variable === undefined ? '' : ` (or set ${variable})`;
  return `: write --${forms[0]} or --${forms[1]}, without a value${orSet}`;
}
