/**
 * What may be shown of a URL: scheme://host[:port]/path, and the query's
 * version selectors. A URL's query string, userinfo and fragment carry its
 * signature; nothing else of it is ever printed.
 */

/** What stands where a secret was taken out. */
export const redactedMark = '[redacted]';

/** scheme://host[:port]/path: what may be shown of a URL, and the only way one is printed. */
export function redactUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * The query parameters that select one version of an object, in one place:
 * S3 `versionId`, GCS `generation`, Azure `versionid` and `snapshot`. They
 * are part of what a URL names (another value, another object), and no
 * secret: the verification record keeps them, and the redactor leaves their
 * values alone. Names are matched without regard to case, the widest reading
 * of the services: a spelling a service ignores only makes more URLs differ.
 * Nothing else of a query is shown anywhere.
 */
const versionSelectorNames = new Set(['versionid', 'generation', 'snapshot']);

export function isVersionSelector(name: string): boolean {
  return versionSelectorNames.has(name.toLowerCase());
}

/** A URL's version selectors, by name as written: a value, or the values of a name repeated. */
export type VersionSelectors = Readonly<Record<string, string | readonly string[]>>;

export function versionSelectorsOf(url: URL): VersionSelectors {
  const selectors: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    if (!isVersionSelector(name)) continue;
    const known = selectors[name];
    selectors[name] = known === undefined ? value : [known, value].flat();
  }
  return selectors;
}

/** Whether two sets of selectors name the same version: same names as written, same values, in any order of names. */
export function sameVersionSelectors(a: VersionSelectors, b: VersionSelectors): boolean {
  const canonical = (selectors: VersionSelectors) =>
    JSON.stringify(Object.entries(selectors).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return canonical(a) === canonical(b);
}

/** An absolute URL up to the next space or quote. */
const urlPattern = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/** Every URL in `text` that has userinfo, a query or a fragment, cut to scheme://host/path. */
export function withoutUrlSecrets(text: string): string {
  return text.replace(urlPattern, (match) => {
    if (!/[?#@]/.test(match)) return match;
    return URL.canParse(match) ? redactUrl(new URL(match)) : redactedMark;
  });
}
