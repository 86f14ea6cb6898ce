/**
 * The conventional proxy variables, as a table of their own: they are not
 * the loader's settings (no flag, no --help row, any prefix), but they are
 * read here, once, like the settings, and their values may hold credentials.
 */
import { InvalidValueError, problemOf } from '../options/expected.ts';
import { credentialsProblem } from './parse-values.ts';
import type { Environment, ProxySettings } from './types.ts';

interface ProxyVariable {
  /** Upper case; the lower-case name is read first, as curl and Node's tooling read them. */
  readonly name: string;
  /** The value is a proxy URL, which may carry credentials. */
  readonly isUrl: boolean;
  readonly parse: (raw: string) => string;
}

/**
 * The schemes a proxy URL may have. `socks5h:` is curl's name for a SOCKS5
 * proxy that resolves the target's name; the loader's `socks5:` does that
 * already, so both (and `socks:`) are the same proxy.
 */
const proxySchemes = ['http:', 'https:', 'socks5:', 'socks5h:', 'socks:'];

/** A proxy URL with its scheme. Never echoed: it may hold credentials. */
function parseProxyUrl(raw: string): string {
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (url === undefined || !proxySchemes.includes(url.protocol)) {
    throw new InvalidValueError(
      'expected a proxy URL such as http://proxy.internal:3128 (with its scheme); the value is not shown',
    );
  }
  // The proxy's credentials are percent-decoded for Proxy-Authorization: a bad escape fails here, not mid-run.
  const problem = credentialsProblem(url);
  if (problem !== undefined) throw new InvalidValueError(problem);
  return raw;
}

export const proxyVariables = {
  httpProxy: { name: 'HTTP_PROXY', isUrl: true, parse: parseProxyUrl },
  httpsProxy: { name: 'HTTPS_PROXY', isUrl: true, parse: parseProxyUrl },
  noProxy: { name: 'NO_PROXY', isUrl: false, parse: (raw) => raw },
} as const satisfies Record<keyof ProxySettings, ProxyVariable>;

/** Every name, in both cases, whose value is a proxy URL: its credentials are secrets. */
export const proxyUrlVariableNames: readonly string[] = Object.values(proxyVariables)
  .filter((variable) => variable.isUrl)
  .flatMap((variable) => [variable.name, variable.name.toLowerCase()]);

/** The proxy settings; each invalid value adds a problem naming the variable it came from. */
export function readProxySettings(env: Environment, problems: string[]): ProxySettings {
  const read = ({ name, parse }: ProxyVariable): string | undefined => {
    const lower = env[name.toLowerCase()];
    const [source, value] =
      lower !== undefined && lower !== '' ? [name.toLowerCase(), lower] : [name, env[name]];
    if (value === undefined || value === '') return undefined;
    try {
      return parse(value);
    } catch (error) {
      problems.push(problemOf(source, error));
      return undefined;
    }
  };
  return {
    httpProxy: read(proxyVariables.httpProxy),
    httpsProxy: read(proxyVariables.httpsProxy),
    noProxy: read(proxyVariables.noProxy),
  };
}
