/** scheme://host[:port]/path: what may be shown of a URL, and the only way one is printed. */
export function redactUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
