import { withoutUrlSecrets } from '../urls/shown.ts';

/**
 * The one error style of every option, the loader's settings and the tools'
 * flags alike: a parser throws an InvalidValueError saying what was expected
 * and what it got (unless the value may be secret); the reader puts the
 * option's names in front (`LOADER_CONNECTIONS (or --connections): expected
 * ...`, `--ttl: expected ...`).
 */
export class InvalidValueError extends Error {
  override readonly name = 'InvalidValueError';
}

/** `expected <what>, got "<raw>"`, the value shortened so a pasted blob stays readable. */
export function invalidValue(what: string, raw: string): InvalidValueError {
  return new InvalidValueError(`expected ${what}, got ${quote(raw)}`);
}

/** `<names>: <what was wrong>`, for an error a parser threw. */
export function problemOf(names: string, error: unknown): string {
  return `${names}: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * Quotes a value for an error message. A value may be a signed URL pasted
 * into the wrong option: every URL in it is cut to scheme://host/path first,
 * before the value is shortened, so no cut can leave part of a query or a
 * password in view. `serve` and `sign` print this with no redactor behind it;
 * for the loader it is what its redactor would show anyway.
 */
export function quote(raw: string): string {
  if (raw === '') return 'an empty value';
  const safe = withoutUrlSecrets(raw);
  const shown = safe.length > 80 ? `${safe.slice(0, 80)}…` : safe;
  return JSON.stringify(shown);
}
