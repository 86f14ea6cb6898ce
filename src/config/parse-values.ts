/**
 * Parsers for single configuration values. Each returns the normalised value or
 * throws a plain message saying what was expected; `loadConfig` prefixes the
 * variable and flag names and wraps it in a ConfigError.
 */

const digitsOnly = /^[0-9]+$/;
const decimalSeconds = /^[0-9]+(\.[0-9]+)?$/;

/** A signed artifact URL. The value itself is never echoed: it may carry a signature. */
export function parseArtifactUrl(raw: string): URL {
  if (!URL.canParse(raw)) {
    throw new Error(
      'expected an absolute http:// or https:// URL; the value is not a URL (not shown: it may carry a signature)',
    );
  }
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(
      `expected an http:// or https:// URL, got the scheme "${url.protocol.slice(0, -1).slice(0, 16)}"`,
    );
  }
  const problem = credentialsProblem(url);
  if (problem !== undefined) throw new Error(problem);
  return url;
}

/**
 * Why the user name or password of `url` cannot be sent as Basic
 * authentication, or undefined when they can (or there are none). The WHATWG
 * parser keeps a `%` that starts no valid escape, so `pa%zzword` parses, but
 * it can only be decoded (RFC 3986 §2.1, as UTF-8 per RFC 7617 §2.1) when
 * every `%` is followed by two hex digits forming UTF-8. Neither part is shown.
 */
export function credentialsProblem(url: URL): string | undefined {
  for (const [part, value] of [
    ['user name', url.username],
    ['password', url.password],
  ] as const) {
    try {
      decodeURIComponent(value);
    } catch {
      return `expected the ${part} in the URL to be percent-encoded correctly (every "%" followed by two hex digits, forming UTF-8; write a literal "%" as %25); the value is not shown`;
    }
  }
  return undefined;
}

/** Decimal bytes: a positive safe integer, digits only (no units, signs, spaces or decimals). */
export function parseByteCount(raw: string): number {
  if (!digitsOnly.test(raw)) {
    throw new Error(
      `expected a positive whole number of bytes, digits only (e.g. 52428800), got ${quote(raw)}`,
    );
  }
  // BigInt keeps the comparison exact for inputs past 2^53.
  const value = BigInt(raw);
  if (value === 0n) throw new Error('expected a positive number of bytes, got 0');
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Error(`expected at most ${Number.MAX_SAFE_INTEGER} bytes, got ${quote(raw)}`);
  }
  return Number(value);
}

/** Positive decimal seconds such as `30` or `0.5`, returned as whole milliseconds. */
export function parseSecondsToMs(raw: string): number {
  const seconds = Number(raw);
  if (!decimalSeconds.test(raw) || !Number.isFinite(seconds) || seconds <= 0) {
    throw new Error(`expected a positive number of seconds (e.g. 30 or 0.5), got ${quote(raw)}`);
  }
  const ms = Math.round(seconds * 1000);
  if (ms < 1 || ms > 2_147_483_647) {
    throw new Error(`expected between 0.001 and 2147483 seconds, got ${quote(raw)}`);
  }
  return ms;
}

export function parsePositiveInt(raw: string): number {
  const value = Number(raw);
  if (!digitsOnly.test(raw) || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`expected a positive whole number, got ${quote(raw)}`);
  }
  return value;
}

/** A whole number from 1 to `max`, for counts where more would do harm rather than good. */
export function parsePositiveIntUpTo(max: number): (raw: string) => number {
  return (raw) => {
    const value = digitsOnly.test(raw) ? Number(raw) : Number.NaN;
    if (!(value >= 1 && value <= max)) {
      throw new Error(`expected a whole number from 1 to ${max}, got ${quote(raw)}`);
    }
    return value;
  };
}

/** The words a boolean setting accepts, in any case; its error message lists exactly these. */
export const booleanWords = {
  true: ['true', 'yes', 'on', '1'],
  false: ['false', 'no', 'off', '0'],
} as const;

export function parseBoolean(raw: string): boolean {
  const value = raw.toLowerCase();
  if ((booleanWords.true as readonly string[]).includes(value)) return true;
  if ((booleanWords.false as readonly string[]).includes(value)) return false;
  throw new Error(
    `expected ${alternatives(booleanWords.true)} to turn it on, or ${alternatives(booleanWords.false)} to turn it off, got ${quote(raw)}`,
  );
}

/** `a, b, c or d` */
function alternatives(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** A boolean, or `auto`. */
export function parseBooleanOrAuto(raw: string): boolean | 'auto' {
  if (raw.toLowerCase() === 'auto') return 'auto';
  try {
    return parseBoolean(raw);
  } catch {
    throw new Error(
      `expected auto, or ${alternatives(booleanWords.true)} to turn it on, or ${alternatives(booleanWords.false)} to turn it off, got ${quote(raw)}`,
    );
  }
}

/** 64 hex characters, optionally prefixed `sha256:`; returned in lower case. */
export function parseSha256(raw: string): string {
  const hex = raw.startsWith('sha256:') ? raw.slice('sha256:'.length) : raw;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new Error(
      `expected 64 hexadecimal characters, optionally prefixed "sha256:", got ${quote(raw)}`,
    );
  }
  return hex.toLowerCase();
}

export function parseOneOf<T extends string>(choices: readonly T[]): (raw: string) => T {
  return (raw) => {
    const match = choices.find((choice) => choice === raw);
    if (match === undefined) {
      throw new Error(`expected one of ${choices.join(', ')}, got ${quote(raw)}`);
    }
    return match;
  };
}

export function parsePath(raw: string): string {
  if (raw.includes('\0')) throw new Error('expected a file path, got a value with a NUL byte');
  return raw;
}

/** Quotes a (non-secret) value for an error message, shortened so a pasted blob stays readable. */
function quote(raw: string): string {
  if (raw === '') return 'an empty value';
  const shown = raw.length > 80 ? `${raw.slice(0, 80)}…` : raw;
  return JSON.stringify(shown);
}
