import { booleanWords } from '../options/choices.ts';
import { type Setting, settingList } from './settings.ts';

/** The --help text, generated from the settings table so it cannot drift. */
export function helpText(version: string): string {
  const rows = settingList.map((spec) => {
    const flag =
      spec.negatedFlag === undefined
        ? `--${spec.flag} ${spec.valueName}`
        : `--${spec.flag}, --${spec.negatedFlag}`;
    const shown = shownDefault(spec);
    const fallback = shown === undefined ? '' : ` [default: ${shown}]`;
    return `  ${spec.env.padEnd(32)} ${flag}\n      ${spec.description}${fallback}`;
  });
  return [
    `runtime-loader ${version}`,
    '',
    'Downloads a signed artifact, verifies it, and publishes it atomically.',
    '',
    'Usage: runtime-loader [flags]   (every flag mirrors an environment variable; flags win)',
    '       runtime-loader serve ...     the reference artifact server (serve --help)',
    '       runtime-loader sign ...      a signed URL for it (sign --help)',
    '',
    ...rows,
    '  --help, -h  --version, -V',
    '',
    `Durations are in seconds; decimals are allowed. BOOL: ${booleanWords.true.join('/')} or ${booleanWords.false.join('/')}.`,
    'Other ARTIFACT_*/LOADER_* variables are reported with the setting they most likely mean.',
    'Exit codes: 0 ok, 1 internal error, 2 configuration, 3 rejected by server, 4 fetch failed,',
    '5 size mismatch, 6 integrity, 7 cannot write, 130/143 interrupted.',
    '',
  ].join('\n');
}

/** A setting's default as a user writes it (seconds, not milliseconds); undefined when there is none. */
export function shownDefault(spec: Setting<unknown, unknown>): string | undefined {
  if (spec.defaultValue === undefined) return undefined;
  return String(
    spec.valueName === 'SECONDS' ? Number(spec.defaultValue) / 1000 : spec.defaultValue,
  );
}
