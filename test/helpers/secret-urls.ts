// Random signed-looking URLs, what a server may echo of them, and the check that no form of
// a secret is in some output. The rule restated here is docs/behaviour.md's (What is redacted): a value is a
// secret when it is 8 or more characters and not only digits, or 4 or more under a
// credential name; a secret may show up in no form (as sent, decoded, re-encoded), as a
// whole word when it is shorter than 16 characters, anywhere when it is longer.
import assert from 'node:assert/strict';
import fc from 'fast-check';

export interface QueryPair {
  name: string;
  /** As written in the URL, i.e. as sent on the wire. */
  raw: string;
}

const credentialNames = ['sig', 'X-Amz-Signature', 'token', 'X-Goog-Signature', 'rl-signature'];
const plainNames = [
  'X-Amz-SignedHeaders',
  'X-Amz-Expires',
  'X-Amz-Date',
  'spr',
  'sv',
  'download',
  'response-content-disposition',
  'v',
];
/** Short and common words, and words the loader's own messages hold. */
const words = ['host', 'https', 'http', 'true', 'false', '3600', 'r', 'b', 'download', 'rejected'];
/** What may stand in a query value as written; `%` alone too, an escape that decodes to nothing. */
const valueChars = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ...'+/=-_.~%',
  '%2B',
  '%2F',
  '%3D',
  '%20',
];

const base64Chars = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/',
  '%2B',
  '%2F',
];

/** A token as sent: base64 with `+`, `/` and `=`, some escaped. */
export const tokenArbitrary: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(fc.constantFrom(...base64Chars), { minLength: 6, maxLength: 44, size: 'max' }),
    fc.constantFrom('', '=', '==', '%3D'),
  )
  .map(([chars, padding]) => `${chars.join('')}${padding}`);

const rawValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...words) },
  { weight: 2, arbitrary: tokenArbitrary },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 10 ** 10 }).map(String) },
  {
    weight: 4,
    arbitrary: fc
      .array(fc.constantFrom(...valueChars), { minLength: 1, maxLength: 48 })
      .map((chars) => chars.join('')),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.constantFrom(...'0123456789abcdef'), { minLength: 64, maxLength: 64 })
      .map((chars) => chars.join('')),
  },
);

export const queryArbitrary: fc.Arbitrary<QueryPair[]> = fc.array(
  fc.record({
    name: fc.oneof(fc.constantFrom(...credentialNames), fc.constantFrom(...plainNames)),
    raw: rawValue,
  }),
  { minLength: 1, maxLength: 6 },
);

export function queryString(pairs: QueryPair[]): string {
  return pairs.map(({ name, raw }) => `${name}=${raw}`).join('&');
}

/** One way a server echoes what it got: its text given the request target and Authorization. */
export type Echo = (requestTarget: string, authorization?: string) => string;

/** What a server may say back: the whole target or URL, one value raw or decoded, its pairs. */
export const echoArbitrary: fc.Arbitrary<Echo> = fc
  .record({
    shape: fc.constantFrom(
      'target',
      'url',
      'raw-value',
      'decoded-value',
      'pairs',
      'header',
      'authorization',
    ),
    pick: fc.nat(),
    // Padding before the echo moves it across the 160-character cut of a reason.
    paddingChars: fc.integer({ min: 0, max: 200 }),
  })
  .map(({ shape, pick, paddingChars }) => (target: string, authorization?: string) => {
    const query = target.slice(target.indexOf('?') + 1);
    const pairs = query.split('&');
    const pair = pairs[pick % pairs.length] ?? '';
    const value = pair.slice(pair.indexOf('=') + 1);
    const echoed = {
      target: `GET ${target}`,
      url: `http://files.example${target}`,
      'raw-value': `invalid ${pair.slice(0, pair.indexOf('='))} ${value}`,
      'decoded-value': `invalid value ${safeDecode(value.replaceAll('+', ' '))}`,
      pairs: `canonical query ${query}`,
      header: `Authorization: Bearer ${value}`,
      authorization: `credentials ${authorization?.split(' ')[1] ?? 'none'} refused`,
    }[shape];
    return `${'denied '.repeat(Math.ceil(paddingChars / 7)).slice(0, paddingChars)}${echoed} (request id 42)`;
  });

/** The values of `pairs` that count as secrets, as written. */
export function secretsOf(pairs: QueryPair[]): string[] {
  const secrets: string[] = [];
  for (const { name, raw } of pairs) {
    const decoded = safeDecode(raw);
    const byName = credentialNames.includes(name) && decoded.length >= 4;
    const byShape = decoded.length >= 8 && !/^[0-9]+$/.test(decoded);
    if (byName || byShape) secrets.push(raw);
  }
  return secrets;
}

/** A secret as sent, percent-decoded, form-decoded and re-encoded; none shorter than 4. */
export function formsOf(raw: string): string[] {
  const decoded = [safeDecode(raw), safeDecode(raw.replaceAll('+', ' '))];
  const forms = new Set([raw, ...decoded, ...decoded.map(encodeURIComponent)]);
  return [...forms].filter((form) => form.length >= 4);
}

/**
 * Fails when `text` holds a form of a secret: as a whole word, or anywhere when 16+ long,
 * and then not even 12 characters of it in a row (a secret cut short is still a leak).
 * A form inside what redactUrl shows of the URL (`shown`) is public, printed anyway.
 */
export function assertNoSecretIn(
  text: string,
  secrets: string[],
  shown: string,
  where: string,
): void {
  for (const secret of secrets) {
    for (const form of formsOf(secret)) {
      if (shown.includes(form)) continue;
      assert.ok(!holds(text, form), `${where} holds ${JSON.stringify(form)}: ${text}`);
      for (let at = 0; form.length >= 16 && at + pieceChars <= form.length; at += 1) {
        const piece = form.slice(at, at + pieceChars);
        assert.ok(
          !text.includes(piece),
          `${where} holds ${JSON.stringify(piece)} of ${form}: ${text}`,
        );
      }
    }
  }
}

const pieceChars = 12;

function holds(text: string, form: string): boolean {
  if (form.length >= 16) return text.includes(form);
  const alnum = /[\p{L}\p{N}]/u;
  for (let at = text.indexOf(form); at >= 0; at = text.indexOf(form, at + 1)) {
    const before = text[at - 1];
    const after = text[at + form.length];
    const openStart = before === undefined || !alnum.test(form[0] ?? '') || !alnum.test(before);
    const openEnd = after === undefined || !alnum.test(form.at(-1) ?? '') || !alnum.test(after);
    if (openStart && openEnd) return true;
  }
  return false;
}

/** Every string value in a parsed JSON line, however deep. */
export function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(stringsIn);
  return [];
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
