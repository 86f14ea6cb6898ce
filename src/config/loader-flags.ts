/** The loader's command line: one flag per setting (two for a boolean), plus --help and --version. */
import { type Flags, type FlagValues, parseCommandLine } from '../options/command-line.ts';
import { settingList } from './settings.ts';

export type LoaderFlags = FlagValues;

const loaderFlags: Flags = Object.fromEntries([
  ['help', { type: 'boolean', short: 'h' }],
  ['version', { type: 'boolean', short: 'V' }],
  ...settingList.flatMap((spec) => {
    if (spec.negatedFlag === undefined) return [[spec.flag, { type: 'string' }]];
    const flag = {
      type: 'boolean',
      forms: [spec.flag, spec.negatedFlag],
      variable: spec.env,
    } as const;
    return [
      [spec.flag, flag],
      [spec.negatedFlag, flag],
    ];
  }),
]);

/** Strict: an unknown flag or a stray argument is a ConfigError (the argument is never echoed). */
export function parseLoaderFlags(argv: readonly string[]): LoaderFlags {
  return parseCommandLine(argv, loaderFlags, '--help');
}
