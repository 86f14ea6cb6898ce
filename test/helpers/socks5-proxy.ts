// A tiny SOCKS5 proxy (RFC 1928) on 127.0.0.1 for the tests: CONNECT only, with
// no authentication or with one user name and password (RFC 1929). It only
// reaches loopback targets, so a misconfigured test can never send traffic off the
// machine; `refuseWith` makes it answer every CONNECT with that reply code instead;
// `alongReply` is sent in the same write as its success reply, as bytes the target sent
// at once would be (a target that speaks first), before the client said anything.
import { once } from 'node:events';
import net, { type AddressInfo, type Socket } from 'node:net';

export interface Socks5Request {
  /** `host:port` as the client asked for it (a name, or an address). */
  target: string;
  /** The user name the client authenticated with, if it did. */
  username?: string;
}

export interface Socks5Proxy extends AsyncDisposable {
  /** socks5://127.0.0.1:PORT (with the credentials, when it asks for them). */
  readonly url: string;
  readonly requests: Socks5Request[];
  close(): Promise<void>;
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1']);

export async function startSocks5Proxy(
  options: {
    credentials?: { username: string; password: string };
    refuseWith?: number;
    alongReply?: string;
  } = {},
): Promise<Socks5Proxy> {
  const requests: Socks5Request[] = [];
  const sockets = new Set<Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    void converse(client).catch(() => client.destroy());
  });

  async function converse(client: Socket): Promise<void> {
    const { read, rest } = reader(client);
    const [, methodCount = 0] = await read(2);
    const methods = [...(await read(methodCount))];
    const wanted = options.credentials === undefined ? 0x00 : 0x02;
    if (!methods.includes(wanted)) {
      client.end(Buffer.from([0x05, 0xff]));
      return;
    }
    client.write(Buffer.from([0x05, wanted]));
    let username: string | undefined;
    if (options.credentials !== undefined) {
      const [, userLength = 0] = await read(2);
      username = (await read(userLength)).toString();
      const [passwordLength = 0] = await read(1);
      const password = (await read(passwordLength)).toString();
      const good =
        username === options.credentials.username && password === options.credentials.password;
      client.write(Buffer.from([0x01, good ? 0 : 1]));
      if (!good) return void client.end();
    }
    const [, , , type] = await read(4);
    const host =
      type === 1
        ? [...(await read(4))].join('.')
        : type === 4
          ? (await read(16)).toString('hex').replace(/(.{4})(?!$)/g, '$1:')
          : (await read((await read(1))[0] ?? 0)).toString();
    const port = (await read(2)).readUInt16BE(0);
    const bare = type === 4 ? new URL(`http://[${host}]`).hostname.slice(1, -1) : host;
    requests.push({
      target: `${type === 4 ? `[${bare}]` : bare}:${port}`,
      ...(username === undefined ? {} : { username }),
    });
    const reply = (code: number) => Buffer.from([0x05, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
    if (options.refuseWith !== undefined || !loopbackHosts.has(bare)) {
      client.end(reply(options.refuseWith ?? 0x02));
      return;
    }
    const upstream = net.connect(port, bare);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    await once(upstream, 'connect');
    client.write(Buffer.concat([reply(0x00), Buffer.from(options.alongReply ?? '')]));
    const early = rest();
    if (early.length > 0) upstream.write(early);
    upstream.pipe(client);
    client.pipe(upstream);
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const { credentials } = options;
  const userinfo =
    credentials === undefined
      ? ''
      : `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@`;
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closed;
  };
  return {
    url: `socks5://${userinfo}127.0.0.1:${port}`,
    requests,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Reads of exactly so many bytes, however the client's writes were cut; `rest`
 * hands over what came after the handshake and stops reading for it.
 */
function reader(client: Socket): { read(length: number): Promise<Buffer>; rest(): Buffer } {
  let pending = Buffer.alloc(0);
  let wake = () => {};
  const onData = (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    wake();
  };
  client.on('data', onData);
  return {
    async read(length) {
      while (pending.length < length) {
        if (client.destroyed) throw new Error('the client went away');
        await new Promise<void>((resolve) => {
          wake = resolve;
          client.once('close', resolve);
        });
      }
      const bytes = pending.subarray(0, length);
      pending = pending.subarray(length);
      return bytes;
    },
    rest() {
      client.off('data', onData);
      client.pause();
      return pending;
    },
  };
}
