/**
 * The artifact URL's query string, userinfo and fragment carry its signature.
 * `redactUrl` is the only form of a URL that may be printed; `Redactor` is the
 * last line of defence that scrubs those parts from every string written, even
 * from an error message that some library built from the whole URL. It works
 * on string values, never on a serialized line, so it cannot break a line's
 * structure or touch a number. The rules are in secret-values.ts,
 * server-text.ts and urls/shown.ts; docs/behaviour.md (What is redacted) states them.
 */
import { redactedMark, redactUrl, withoutUrlSecrets } from '../urls/shown.ts';
import { formsOf, minFormLength, type SecretForm, secretFormsOfUrl } from './secret-values.ts';
import { withoutCredentialShapes } from './server-text.ts';

/** A value this long is random enough to be matched anywhere, not only as a whole word. */
const matchAnywhereLength = 16;

interface Matcher {
  readonly strong: boolean;
  readonly pattern: RegExp;
}

export class Redactor {
  readonly #forms = new Map<string, SecretForm>();
  /** What redactUrl shows of every URL registered: printed anyway, so never a secret. */
  readonly #shown = new Set<string>();
  /** Longest first, so a whole query is replaced before one of its values; rebuilt on add. */
  #matchers: Matcher[] | undefined;

  /** Remembers the secret parts of a URL (the artifact URL and every redirect target). */
  addUrl(url: URL, rawQuery?: string): void {
    this.#shown.add(redactUrl(url));
    for (const form of secretFormsOfUrl(url, rawQuery)) this.#add(form);
  }

  /** Remembers a raw value that must never be echoed, such as an unparsable URL. */
  addRaw(value: string): void {
    if (URL.canParse(value)) {
      // The raw text may be encoded differently from the parsed URL's.
      const query = value.indexOf('?');
      const fragment = value.indexOf('#', query);
      const rawQuery =
        query < 0 ? undefined : value.slice(query + 1, fragment < 0 ? undefined : fragment);
      this.addUrl(new URL(value), rawQuery);
      const at = value.indexOf('@');
      const scheme = value.indexOf('://');
      if (at > scheme && scheme >= 0) {
        for (const form of formsOf(value.slice(scheme + 3, at), true)) this.#add(form);
      }
    } else {
      // Not a URL at all: nothing of it can be shown safely.
      for (const form of formsOf(value, true)) this.#add(form);
    }
  }

  /**
   * Remembers a value that is a secret whole, whatever it looks like: a
   * registry password or token. Unlike addRaw it is never read as a URL, so a
   * password such as `s3cret:pa55` (which parses as one) is matched too.
   */
  addSecret(value: string): void {
    for (const form of formsOf(value, true)) this.#add(form);
  }

  #add(form: SecretForm): void {
    const known = this.#forms.get(form.text);
    if (known?.strength === 'strong' || known?.strength === form.strength) return;
    this.#forms.set(form.text, form);
    this.#matchers = undefined;
  }

  /**
   * Any string the loader writes: URLs cut to what redactUrl shows, strong
   * secrets in every form replaced. Weak values are left alone: `true`,
   * `https` or `3600` in a URL's query never damage a message.
   */
  scrub(text: string): string {
    return this.#replace(withoutUrlSecrets(text), false);
  }

  /**
   * Text a server sent: also loses query strings and credential parameters
   * of any value, and every registered value of 4 or more characters, weak
   * ones included, where it stands as a whole word. Run it before cutting the
   * text short, so no part of a secret survives the cut.
   */
  scrubServerText(text: string): string {
    return this.#replace(withoutCredentialShapes(text), true);
  }

  #replace(text: string, withWeak: boolean): string {
    let result = text;
    for (const { strong, pattern } of this.#ordered()) {
      if (strong || withWeak) result = result.replace(pattern, redactedMark);
    }
    return result;
  }

  #ordered(): Matcher[] {
    this.#matchers ??= [...this.#forms.values()]
      .filter((form) => form.text.length >= minFormLength && !this.#isShown(form.text))
      .sort((a, b) => b.text.length - a.text.length)
      .map((form) => ({ strong: form.strength === 'strong', pattern: patternFor(form) }));
    return this.#matchers;
  }

  #isShown(text: string): boolean {
    for (const shown of this.#shown) if (shown.includes(text)) return true;
    return false;
  }
}

/**
 * A strong value of 16 or more characters is matched anywhere. Anything
 * shorter only as a whole word: not directly after or before a letter or
 * digit, so `host` never matches inside `localhost`, nor `download` inside
 * `downloaded`.
 */
function patternFor(form: SecretForm): RegExp {
  const escaped = form.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (form.strength === 'strong' && form.text.length >= matchAnywhereLength)
    return new RegExp(escaped, 'g');
  const before = /^[\p{L}\p{N}]/u.test(form.text) ? '(?<![\\p{L}\\p{N}])' : '';
  const after = /[\p{L}\p{N}]$/u.test(form.text) ? '(?![\\p{L}\\p{N}])' : '';
  return new RegExp(`${before}${escaped}${after}`, 'gu');
}
