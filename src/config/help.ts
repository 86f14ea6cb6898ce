/**
 * The loader's --help, generated from the settings table and the exit codes so
 * it cannot drift; and the line wrapping the tools' --help shares. The entry
 * loads it for a lone --help, so it imports no built-in.
 */
import { exitCodeList } from '../errors.ts';
import { booleanWords } from '../options/choices.ts';
import { type Setting, settingList } from './settings.ts';

/** The --help text: the settings, then how values are written, then the exit codes. */
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
    ...wrapWords(`Exit codes: ${exitCodeList()}.`, 90),
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

/**
 * `text` broken into lines of at most `width` characters, at spaces, but
 * never inside a `code span` (a command to copy must stay on one line).
 */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.match(/(?:[^\s`]*`[^`]*`)+[^\s`]*|\S+/g) ?? []) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return line === '' ? lines : [...lines, line];
}
