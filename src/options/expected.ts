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

/** Quotes a (non-secret) value for an error message. */
export function quote(raw: string): string {
  if (raw === '') return 'an empty value';
  const shown = raw.length > 80 ? `${raw.slice(0, 80)}…` : raw;
  return JSON.stringify(shown);
}
