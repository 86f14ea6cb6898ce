/**
 * Which parts of a URL are secret, and every form in which they may come back:
 * as sent on the wire, percent-decoded, form-decoded (`+` as a space) and
 * re-encoded, with upper- or lower-case escapes.
 *
 * A value is `strong` when it could be a secret on its own: 8 or more
 * characters and not only digits (a signature, a token, a credential), or 4 or
 * more under a credential name (`sig`, `X-Amz-Signature`, `token`, the
 * userinfo password, the fragment...). Anything else is `weak`: `host`,
 * `https`, `true`, `3600`, `2026-01-01` are no secret and, wherever the loader
 * writes them itself, are no business of the redactor. Weak values of 4 or
 * more characters are removed from text a server sent, and nowhere else.
 */

import { isVersionSelector } from '../urls/shown.ts';

export type Strength = 'strong' | 'weak';

export interface SecretForm {
  readonly text: string;
  readonly strength: Strength;
}

/** No value shorter than this is matched at all: it would hit ordinary words. */
export const minFormLength = 4;
const minStrongLength = 8;

/** Last words of a name whose value is a credential whatever it looks like (`X-Amz-Signature`, `sig`). */
export const credentialWords =
  'sig|signature|token|secret|password|passwd|pwd|pass|credential|credentials|key|apikey|auth|authorization|policy|session|code';
const credentialName = new RegExp(`(?:^|[-_.])(?:${credentialWords})$`, 'i');

export function isCredentialName(name: string): boolean {
  return credentialName.test(name);
}

/** The secret parts of `url` in all their forms; `rawQuery` is the query as first given, if it differs. */
export function secretFormsOfUrl(url: URL, rawQuery?: string): SecretForm[] {
  const forms: SecretForm[] = [];
  for (const query of new Set([url.search.slice(1), rawQuery ?? ''])) {
    if (query === '') continue;
    // The whole query, and every value in it.
    forms.push(...formsOf(query, true));
    for (const piece of query.split('&')) {
      const equals = piece.indexOf('=');
      if (equals < 0) {
        forms.push(...formsOf(piece, false));
        continue;
      }
      const name = safeDecode(piece.slice(0, equals).replaceAll('+', ' '));
      // A version selector is shown (see urls/shown.ts): its value must not be taken for a secret.
      if (isVersionSelector(name)) continue;
      forms.push(...formsOf(piece.slice(equals + 1), isCredentialName(name)));
    }
  }
  forms.push(...formsOf(url.hash.slice(1), true));
  forms.push(...formsOf(url.username, false));
  forms.push(...formsOf(url.password, true));
  if (url.password !== '') {
    forms.push(...formsOf(`${url.username}:${url.password}`, true));
    // As sent in the Authorization header, which a server may echo.
    const basic = `${safeDecode(url.username)}:${safeDecode(url.password)}`;
    forms.push({ text: Buffer.from(basic).toString('base64'), strength: 'strong' });
  }
  return forms;
}

/** `raw` as it may be seen again, each form with the strength of the value it stands for. */
export function formsOf(raw: string, byName: boolean): SecretForm[] {
  if (raw === '') return [];
  const percentDecoded = safeDecode(raw);
  const formDecoded = safeDecode(raw.replaceAll('+', ' '));
  const strength: Strength =
    (byName && percentDecoded.length >= minFormLength) || isSecretShaped(percentDecoded)
      ? 'strong'
      : 'weak';
  const texts = new Set<string>();
  for (const value of [raw, percentDecoded, formDecoded]) {
    texts.add(value);
    for (const encoded of [
      encodeURIComponent(value),
      new URLSearchParams([['', value]]).toString().slice(1),
    ]) {
      texts.add(encoded);
      texts.add(encoded.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
    }
  }
  return [...texts]
    .filter((text) => text.length >= minFormLength)
    .map((text) => ({ text, strength }));
}

function isSecretShaped(value: string): boolean {
  return value.length >= minStrongLength && !/^[0-9]+$/.test(value);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
