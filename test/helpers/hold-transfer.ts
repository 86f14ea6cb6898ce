// Holds a transfer open: a GET whose reader stops after the first bytes, so
// the server's send blocks once the socket buffers are full and the transfer
// stays in flight until the test lets go.
import net from 'node:net';

export interface HeldTransfer {
  /** The status line of the answer, e.g. `HTTP/1.1 200 OK`. */
  readonly statusLine: string;
  /** Closes the connection: the server's transfer ends. */
  release(): void;
}

/** `url` should name a file larger than loopback's socket buffers (tens of MiB; sparse is fine). */
export function holdTransfer(url: string): Promise<HeldTransfer> {
  const { hostname, port, pathname, search } = new URL(url);
  const target = `${pathname}${search}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    socket.once('error', reject);
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      const statusLine = chunk.toString('latin1').split('\r\n', 1)[0] ?? '';
      resolve({ statusLine, release: () => socket.destroy() });
    });
    socket.write(`GET ${target} HTTP/1.1\r\nhost: ${hostname}:${port}\r\n\r\n`);
  });
}
