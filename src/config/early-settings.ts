/**
 * The settings needed before the configuration is known to be valid: to log
 * a configuration error, and to leave its termination message. Read through
 * the settings table, leniently: an invalid value falls back to the default
 * here (and is reported by the full read).
 */
import type { Environment } from './environment.ts';
import { logFormatFor } from './load-config.ts';
import { readSettingLeniently } from './read-setting.ts';
import { settings } from './settings.ts';
import type { LogFormat } from './types.ts';

/** LOADER_LOG_FORMAT when it is valid; otherwise text on a terminal, JSON elsewhere. */
export function earlyLogFormat(env: Environment, stdoutIsTerminal: boolean): LogFormat {
  return logFormatFor(readSettingLeniently(settings.logFormat, env), stdoutIsTerminal);
}

/** LOADER_TERMINATION_LOG when set (and not empty); otherwise the default. */
export function earlyTerminationLogPath(env: Environment): string {
  return readSettingLeniently(settings.terminationLogPath, env);
}
