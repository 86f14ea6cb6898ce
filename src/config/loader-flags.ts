/** The loader's command line: one flag per setting (two for a boolean), plus --help and --version. */
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors.ts';
import { nearestName } from '../options/nearest-name.ts';
import { settingList } from './settings.ts';

export type LoaderFlags = Record<string, string | boolean | undefined>;

type FlagOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** Strict: an unknown flag or a stray argument is a ConfigError (the argument is never echoed). */
export function parseLoaderFlags(argv: readonly string[]): LoaderFlags {
  const options: FlagOptions = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'V' },
  };
  for (const spec of settingList) {
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
function flagHint(error: unknown, options: FlagOptions): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const option = /'--?([^']+)'/.exec(String(message))?.[1];
  if (option === undefined) return '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const nearest = nearestName(option, Object.keys(options));
    return nearest?.likely === true ? `: did you mean --${nearest.name}?` : '';
  }
  const spec = settingList.find(
    (candidate) => candidate.flag === option || candidate.negatedFlag === option,
  );
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && spec?.negatedFlag !== undefined) {
    return `: write --${spec.flag} or --${spec.negatedFlag}, without a value (or set ${spec.env})`;
  }
  return '';
}
