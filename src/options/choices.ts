/** Booleans and enums: a closed set of words, all of which an error lists. */
import { InvalidValueError, invalidValue, quote } from './expected.ts';

/** The words a boolean setting accepts, in any case; its error message lists exactly these. */
export const booleanWords = {
  true: ['true', 'yes', 'on', '1'],
  false: ['false', 'no', 'off', '0'],
} as const;

const onOrOff = `${alternatives(booleanWords.true)} to turn it on, or ${alternatives(booleanWords.false)} to turn it off`;

export function parseBoolean(raw: string): boolean {
  const value = raw.toLowerCase();
  if ((booleanWords.true as readonly string[]).includes(value)) return true;
  if ((booleanWords.false as readonly string[]).includes(value)) return false;
  throw invalidValue(onOrOff, raw);
}

/** A boolean, or `auto`. */
export function parseBooleanOrAuto(raw: string): boolean | 'auto' {
  if (raw.toLowerCase() === 'auto') return 'auto';
  try {
    return parseBoolean(raw);
  } catch {
    throw new InvalidValueError(`expected auto, or ${onOrOff}, got ${quote(raw)}`);
  }
}

/** Exactly one of `choices`, in their case. */
export function parseOneOf<T extends string>(choices: readonly T[]): (raw: string) => T {
  return (raw) => {
    const match = choices.find((choice) => choice === raw);
    if (match === undefined) throw invalidValue(`one of ${choices.join(', ')}`, raw);
    return match;
  };
}

/** `a, b, c or d` */
function alternatives(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}
