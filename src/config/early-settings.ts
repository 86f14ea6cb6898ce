/**
 * The settings needed before the configuration is known to be valid: to log
 * a configuration error, and to leave its termination message. Read through
 * the settings table, leniently: a flag that is invalid gives way to the
 * variable, an invalid variable to the default (the full read reports both),
 * and a command line that does not parse is left out.
 */
import type { LogFormat } from '../log/logger.ts';
import { logFormatFor } from './load-config.ts';
import { type LoaderFlags, parseLoaderFlags } from './loader-flags.ts';
import { readSetting } from './read-setting.ts';
import { type Setting, settings } from './settings.ts';
import type { Environment } from './types.ts';

/** --log-format or LOADER_LOG_FORMAT when valid; otherwise text on a terminal, JSON elsewhere. */
export function earlyLogFormat(
  argv: readonly string[],
  env: Environment,
  stdoutIsTerminal: boolean,
): LogFormat {
  return logFormatFor(readLeniently(settings.logFormat, argv, env), stdoutIsTerminal);
}

/** --termination-log or LOADER_TERMINATION_LOG when valid (and not empty); otherwise the default. */
export function earlyTerminationLogPath(argv: readonly string[], env: Environment): string {
  return readLeniently(settings.terminationLogPath, argv, env);
}

function readLeniently<T, D>(
  spec: Setting<T, D>,
  argv: readonly string[],
  env: Environment,
): T | D {
  for (const flags of [flagsOrNone(argv), {}]) {
    try {
      return readSetting(spec, flags, env);
    } catch {
      // The next source: the variable alone, then the default.
    }
  }
  return spec.defaultValue;
}

function flagsOrNone(argv: readonly string[]): LoaderFlags {
  try {
    return parseLoaderFlags(argv);
  } catch {
    return {};
  }
}
