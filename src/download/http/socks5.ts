import { isIPv4, isIPv6 } from 'node:net';
import type { ProxyConversation } from './proxy-conversation.ts';
import type { ProxyServer } from './proxy-route.ts';
import { TransportError } from './transport-error.ts';

const version = 0x05;
const noAuthentication = 0x00;
const usernamePassword = 0x02;
const noAcceptableMethod = 0xff;

/** RFC 1928 §6: what a reply's REP field means. */
const replies: Record<number, string> = {
  1: 'general SOCKS server failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

/**
 * The SOCKS5 handshake (RFC 1928) that makes the proxy connect to `target`:
 * no authentication, or the user name and password of the proxy URL (RFC
 * 1929). A host name is sent as a name, for the proxy to resolve (what curl
 * calls `socks5h://`, for `socks5://` too): in a pod the proxy's DNS may know
 * a target that the pod's does not, and resolving locally would leak the name
 * to a DNS the proxy was meant to stand in front of.
 */
export async function socks5Handshake(
  talk: ProxyConversation,
  proxy: ProxyServer,
  target: { readonly host: string; readonly port: number },
): Promise<void> {
  const { credentials } = proxy;
  const methods = credentials === undefined ? [noAuthentication] : [usernamePassword];
  talk.write(Buffer.from([version, methods.length, ...methods]));
  const [, method] = await talk.read(fixed(2));
  if (method === noAcceptableMethod || !methods.includes(method ?? -1)) {
    throw refused(
      credentials === undefined
        ? 'it asks for credentials (give them in the proxy URL)'
        : 'it does not take a user name and password',
    );
  }
  if (method === usernamePassword && credentials !== undefined) {
    const username = Buffer.from(credentials.username);
    const password = Buffer.from(credentials.password);
    if (username.length > 255 || password.length > 255)
      throw refused('the user name or password is longer than SOCKS5 allows (255 bytes)');
    talk.write(
      Buffer.concat([
        Buffer.from([0x01, username.length]),
        username,
        Buffer.from([password.length]),
        password,
      ]),
    );
    const [, status] = await talk.read(fixed(2));
    if (status !== 0) throw refused('it refused the user name and password');
  }
  talk.write(Buffer.concat([Buffer.from([version, 0x01, 0x00]), address(target)]));
  const reply = await talk.read(replyLength);
  const code = reply[1] ?? 1;
  if (code !== 0) throw refused(`${replies[code] ?? `reply ${code}`} (SOCKS5 reply ${code})`);
}

function refused(why: string): TransportError {
  return new TransportError('PROXY_REFUSED', `the SOCKS5 proxy refused the connection: ${why}`);
}

function fixed(length: number): (buffered: Buffer) => number | undefined {
  return (buffered) => (buffered.length >= length ? length : undefined);
}

/** VER REP RSV ATYP BND.ADDR BND.PORT: its length, once the address type is known. */
function replyLength(buffered: Buffer): number | undefined {
  if (buffered.length < 5) return undefined;
  if (buffered[0] !== version)
    throw new TransportError('PROXY_INVALID_ANSWER', 'the proxy does not speak SOCKS5');
  const type = buffered[3];
  const addressBytes = type === 1 ? 4 : type === 4 ? 16 : type === 3 ? 1 + (buffered[4] ?? 0) : -1;
  if (addressBytes === -1)
    throw new TransportError(
      'PROXY_INVALID_ANSWER',
      'the SOCKS5 reply has an unknown address type',
    );
  const length = 4 + addressBytes + 2;
  return buffered.length >= length ? length : undefined;
}

/** ATYP DST.ADDR DST.PORT for `target`. */
function address(target: { readonly host: string; readonly port: number }): Buffer {
  const port = Buffer.from([target.port >> 8, target.port & 0xff]);
  if (isIPv4(target.host))
    return Buffer.concat([Buffer.from([1, ...target.host.split('.').map(Number)]), port]);
  if (isIPv6(target.host)) return Buffer.concat([Buffer.from([4]), ipv6Bytes(target.host), port]);
  const name = Buffer.from(target.host);
  if (name.length > 255) throw refused('the host name is longer than SOCKS5 allows (255 bytes)');
  return Buffer.concat([Buffer.from([3, name.length]), name, port]);
}

function ipv6Bytes(host: string): Buffer {
  const [head = '', tail] = host.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const words = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  const bytes = Buffer.alloc(16);
  for (const [index, word] of words.entries())
    bytes.writeUInt16BE(Number.parseInt(word, 16), index * 2);
  return bytes;
}
