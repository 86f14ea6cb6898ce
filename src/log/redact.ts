/**
 * The artifact URL's query string, userinfo and fragment carry its signature.
 * `redactUrl` is the only form of a URL that may be printed; `Redactor` is the
 * last line of defence that scrubs those parts from every line written, even
 * from an error message that some library built from the whole URL.
 */

/** scheme://host[:port]/path: what may be shown of a URL. */
export function redactUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

const minSecretLength = 4;

export class Redactor {
  readonly #secrets = new Set<string>();
  /** Longest first, so a whole query is replaced before one of its values; rebuilt on add. */
  #ordered: string[] = [];

  /** Remembers the secret parts of a URL (the artifact URL and every redirect target). */
  addUrl(url: URL): void {
    const candidates = [url.search.slice(1), url.hash.slice(1), url.username, url.password];
    for (const [, value] of url.searchParams) candidates.push(value, encodeURIComponent(value));
    for (const part of [url.username, url.password]) candidates.push(safeDecode(part));
    for (const candidate of candidates) this.#add(candidate);
  }

  /** Remembers a raw value that must never be echoed, such as an unparsable URL. */
  addRaw(value: string): void {
    if (URL.canParse(value)) {
      this.addUrl(new URL(value));
      // The raw text may be encoded differently from the parsed URL's.
      const query = value.indexOf('?');
      if (query >= 0) this.#add(value.slice(query + 1));
      const at = value.indexOf('@');
      const scheme = value.indexOf('://');
      if (at > scheme && scheme >= 0) this.#add(value.slice(scheme + 3, at));
    } else {
      // Not a URL at all: nothing of it can be shown safely.
      this.#add(value);
    }
  }

  #add(secret: string): void {
    if (secret.length < minSecretLength || this.#secrets.has(secret)) return;
    this.#secrets.add(secret);
    this.#ordered = [...this.#secrets].sort((a, b) => b.length - a.length);
  }

  scrub(text: string): string {
    let result = text;
    for (const secret of this.#ordered) {
      if (result.includes(secret)) result = result.split(secret).join('[redacted]');
    }
    return result;
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
