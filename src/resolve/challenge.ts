/**
 * The `WWW-Authenticate` header of a registry's 401, read as RFC 9110
 * §11.6.1 defines it: a comma-separated list of challenges, each a scheme
 * followed by either a token68 or comma-separated `name=value` parameters,
 * values as tokens or quoted strings with `\` escapes. Several headers are
 * joined with commas first (§5.3). Scheme and parameter names are
 * case-insensitive (§11.1, §11.2), so both are kept in lower case.
 */
import { RejectedError } from '../errors.ts';

export interface Challenge {
  /** Lower case: `bearer`, `basic`. */
  readonly scheme: string;
  /** Parameter names in lower case; the first of a repeated name counts. */
  readonly params: ReadonlyMap<string, string>;
  readonly token68: string | undefined;
}

/** The challenge the loader answers: Bearer (token flow) over Basic; undefined when neither is offered. */
export function chooseChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  return (
    challenges.find((challenge) => challenge.scheme === 'bearer') ??
    challenges.find((challenge) => challenge.scheme === 'basic')
  );
}

const tokenChars = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;
const token68 = /[A-Za-z0-9\-._~+/]+=*/y;
const spaces = /[ \t]*/y;

/** Every challenge in the header(s); throws RejectedError at the first character that breaks the grammar. */
export function parseChallenges(header: string | readonly string[]): Challenge[] {
  const text = typeof header === 'string' ? header : header.join(', ');
  const challenges: Challenge[] = [];
  let at = 0;
  const match = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = at;
    const found = pattern.exec(text)?.[0];
    if (found !== undefined) at += found.length;
    return found;
  };
  const skipSpaces = (): boolean => (match(spaces) ?? '') !== '';
  const skipListSeparators = () => {
    while (/[ \t,]/.test(text.charAt(at))) at += 1;
  };
  const fail = (what: string): never => {
    throw new RejectedError(
      `the registry's WWW-Authenticate header cannot be read: expected ${what} at character ${at + 1} (RFC 9110 §11.6.1)`,
    );
  };
  /** At `name = value`: not at the next challenge's scheme, nor at a token68 ending in "=". */
  const atParam = (): boolean => {
    const start = at;
    let isParam = false;
    if (match(tokenChars) !== undefined) {
      skipSpaces();
      if (text.charAt(at) === '=') {
        at += 1;
        skipSpaces();
        isParam = at < text.length && !',='.includes(text.charAt(at));
      }
    }
    at = start;
    return isParam;
  };
  const quotedString = (): string => {
    let value = '';
    for (at += 1; at < text.length; at += 1) {
      const char = text.charAt(at);
      if (char === '"') {
        at += 1;
        return value;
      }
      if (char === '\\') at += 1;
      value += text.charAt(at);
    }
    return fail('the closing quote of a quoted string');
  };

  skipListSeparators();
  while (at < text.length) {
    const scheme = match(tokenChars) ?? fail('an authentication scheme');
    const params = new Map<string, string>();
    let token: string | undefined;
    if (skipSpaces() && at < text.length && text.charAt(at) !== ',' && !atParam()) {
      token = match(token68) ?? fail('a token68 or name=value parameters');
      skipSpaces();
    }
    while (token === undefined && atParam()) {
      const name = (match(tokenChars) ?? '').toLowerCase();
      skipSpaces();
      at += 1;
      skipSpaces();
      const value =
        text.charAt(at) === '"'
          ? quotedString()
          : (match(tokenChars) ?? fail('a token or a quoted string'));
      if (!params.has(name)) params.set(name, value);
      skipSpaces();
      if (at < text.length && text.charAt(at) !== ',') fail('","');
      skipListSeparators();
    }
    // After parameters the list separator is already behind; otherwise it must come now.
    if (params.size === 0 && at < text.length && text.charAt(at) !== ',') fail('","');
    challenges.push({ scheme: scheme.toLowerCase(), params, token68: token });
    skipListSeparators();
  }
  return challenges;
}
