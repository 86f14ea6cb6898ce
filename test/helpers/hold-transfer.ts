// Holds a transfer open: a GET whose reader stops after the first bytes, so
// the server's send blocks once the socket buffers are full and the transfer
// stays in flight until the test lets go. With `trickle`, the reader keeps
// taking a few bytes now and then instead, so the connection is never idle.
import net from 'node:net';

export interface HeldTransfer {
  /** The status line of the answer, e.g. `HTTP/1.1 200 OK`. */
  readonly statusLine: string;
  /** Closes the connection: the server's transfer ends. */
  release(): void;
}

export interface HoldOptions {
  /** Read this many bytes every `everyMs` milliseconds. */
  readonly trickle?: { readonly bytes: number; readonly everyMs: number };
  /** Connect from this local address (127.0.0.2 is another client to the server). */
  readonly localAddress?: string;
}

/** `url` should name a file larger than loopback's socket buffers (tens of MiB; sparse is fine). */
export function holdTransfer(url: string, options: HoldOptions = {}): Promise<HeldTransfer> {
  const { hostname, port, pathname, search } = new URL(url);
  const target = `${pathname}${search}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      port: Number(port),
      host: hostname,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    socket.once('error', reject);
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      const { trickle } = options;
      const reading =
        trickle === undefined
          ? undefined
          : setInterval(() => socket.read(trickle.bytes), trickle.everyMs).unref();
      socket.once('close', () => clearInterval(reading));
      // Once the server ends it, a trickle reader has nothing to wait for.
      socket.on('error', () => {});
      const statusLine = chunk.toString('latin1').split('\r\n', 1)[0] ?? '';
      resolve({ statusLine, release: () => socket.destroy() });
    });
    socket.write(`GET ${target} HTTP/1.1\r\nhost: ${hostname}:${port}\r\n\r\n`);
  });
}
