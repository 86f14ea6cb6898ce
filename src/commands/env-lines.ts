/**
 * The two ways `sign` prints variables. No one text serves both readers: an
 * env file takes every character after `=` literally (docker keeps quotes as
 * part of the value), while a shell needs quotes around the `&` of a query.
 */
export type Variables = Readonly<Record<string, string>>;

/**
 * `NAME=value` lines for `docker run --env-file` (and podman's): the value is
 * the rest of the line, unquoted. Docker keeps quotes and podman strips them,
 * so the one form both read the same is a value with no quote, leading space
 * or line break, which a serialised URL or a number always is.
 */
export function envFileLines(variables: Variables): string {
  return Object.entries(variables)
    .map(([name, value]) => {
      if (/^[\s'"]|[\r\n]/.test(value)) {
        throw new Error(`${name}: this value cannot be written to an env file unchanged`);
      }
      return `${name}=${value}\n`;
    })
    .join('');
}

/**
 * `export NAME='value'` lines for a POSIX shell (`. file`, with or without
 * `set -a`, or `eval`): single quotes keep every character literal, and a `'`
 * inside is closed, escaped and reopened (`'\''`).
 */
export function shellLines(variables: Variables): string {
  return Object.entries(variables)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
    .join('');
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
