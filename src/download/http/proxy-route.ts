import { BlockList, isIP } from 'node:net';
import type { ProxySettings } from '../../config/types.ts';

/** A proxy to send a request through, from HTTP_PROXY or HTTPS_PROXY. */
export interface ProxyServer {
  /**
   * `http:` or `https:` (spoken to over TLS), or `socks5:` (`socks5h:` and
   * `socks:` are read as it: the proxy always resolves the target's name).
   */
  readonly protocol: 'http:' | 'https:' | 'socks5:';
  /** Host name or address, an IPv6 address without brackets. */
  readonly host: string;
  readonly port: number;
  /** From the URL's user name and password, decoded; absent without them. */
  readonly credentials?: { readonly username: string; readonly password: string };
}

/**
 * One NO_PROXY entry: a host (or `*`), subdomains only or not, a port or any
 * (0); an address or a CIDR range is held as `addresses` too.
 */
interface Bypass {
  readonly host: string;
  readonly subdomainsOnly: boolean;
  readonly port: number;
  readonly addresses?: BlockList;
}

const defaultPorts: Record<string, number> = { 'http:': 80, 'https:': 443, 'socks5:': 1080 };

/**
 * Which proxy, if any, a request goes through: HTTP_PROXY for http URLs,
 * HTTPS_PROXY for https URLs (HTTP_PROXY when that is unset), none for a host
 * NO_PROXY names. The variables were read and checked at the edge
 * (config/proxy-settings.ts).
 */
export class ProxyRoutes {
  readonly #http: ProxyServer | undefined;
  readonly #https: ProxyServer | undefined;
  readonly #bypasses: readonly Bypass[];

  constructor(settings: ProxySettings) {
    this.#http = settings.httpProxy === undefined ? undefined : proxyOf(settings.httpProxy);
    this.#https = settings.httpsProxy === undefined ? this.#http : proxyOf(settings.httpsProxy);
    this.#bypasses = parseNoProxy(settings.noProxy ?? '');
  }

  /** The proxy for `url`, or undefined to connect to it directly. */
  for(url: URL): ProxyServer | undefined {
    const proxy = url.protocol === 'https:' ? this.#https : this.#http;
    if (proxy === undefined) return undefined;
    const host = normalHost(url.hostname);
    const port = Number(url.port) || defaultPorts[url.protocol] || 0;
    return this.#bypasses.some((bypass) => bypasses(bypass, host, port)) ? undefined : proxy;
  }
}

/** The spellings of a SOCKS5 proxy; each sends the target's name for the proxy to resolve. */
const socksSchemes = new Set(['socks5:', 'socks5h:', 'socks:']);

function proxyOf(raw: string): ProxyServer {
  const url = new URL(raw);
  const protocol = socksSchemes.has(url.protocol)
    ? 'socks5:'
    : (url.protocol as ProxyServer['protocol']);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port) || defaultPorts[protocol] || 0;
  if (url.username === '' && url.password === '') return { protocol, host, port };
  const credentials = {
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
  return { protocol, host, port, credentials };
}

/**
 * NO_PROXY as curl reads it: entries separated by commas or white space; `*`
 * for every host; a name (`example.com` or `.example.com`) for that host and
 * every host under it; `*.example.com` for the hosts under it only; an
 * address (IPv6 with or without brackets) or a range of them in CIDR
 * notation (`10.0.0.0/8`, `fd00::/8` or `[fd00::]/8`), which an address in the URL matches
 * as an address, not as text; each with an optional `:port` (IPv6 then in
 * brackets). Case and a trailing dot do not matter.
 */
function parseNoProxy(value: string): Bypass[] {
  const bypasses: Bypass[] = [];
  for (const entry of value.split(/[\s,]+/)) {
    if (entry === '') continue;
    // `[fd00::]/8` is `fd00::/8`, the prefix length outside the brackets.
    const bracketed = /^\[([^\]]+)\](\/\d+)?(?::(\d+))?$/.exec(entry);
    const withPort = /^([^:]+):(\d+)$/.exec(entry);
    const [name, port] = bracketed
      ? [`${bracketed[1] ?? ''}${bracketed[2] ?? ''}`, Number(bracketed[3] ?? 0)]
      : withPort
        ? [withPort[1] ?? '', Number(withPort[2])]
        : [entry, 0];
    const subdomainsOnly = name.startsWith('*.');
    const host = normalHost(name.replace(/^\*?\./, ''));
    const addresses = addressesOf(host);
    if (addresses !== undefined) bypasses.push({ host, subdomainsOnly: false, port, addresses });
    else if (host !== '') bypasses.push({ host, subdomainsOnly, port });
  }
  return bypasses;
}

function bypasses(bypass: Bypass, host: string, port: number): boolean {
  if (bypass.port !== 0 && bypass.port !== port) return false;
  if (bypass.host === '*') return true;
  const family = isIP(host);
  // An address is no name: `10.0.0.0/8` and `::1` match it as an address, no name matches it.
  if (family !== 0 || bypass.addresses !== undefined)
    return family !== 0 && bypass.addresses?.check(host, family === 6 ? 'ipv6' : 'ipv4') === true;
  if (host.endsWith(`.${bypass.host}`)) return true;
  return !bypass.subdomainsOnly && host === bypass.host;
}

/** The address or CIDR range an entry names, or undefined when it names none (a host name). */
function addressesOf(entry: string): BlockList | undefined {
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return undefined;
  const type = family === 6 ? 'ipv6' : 'ipv4';
  const maxBits = family === 6 ? 128 : 32;
  const prefix = bits === undefined ? maxBits : /^\d{1,3}$/.test(bits) ? Number(bits) : -1;
  if (prefix < 0 || prefix > maxBits) return undefined;
  const list = new BlockList();
  list.addSubnet(address, prefix, type);
  return list;
}

/** Lower case, without IPv6 brackets or the trailing dot of a fully qualified name. */
function normalHost(host: string): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare.length > 1 && bare.endsWith('.') ? bare.slice(0, -1) : bare;
}
