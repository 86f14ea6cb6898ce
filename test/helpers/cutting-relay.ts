// A TCP relay between a client and a real server that breaks connections on
// purpose: the server stays real, the fault is in the network, as in production.
import net from 'node:net';

export interface CuttingRelay extends AsyncDisposable {
  readonly origin: string;
  /** Bytes the server sent through the relay, per connection, in order. */
  readonly bytesPerConnection: number[];
  close(): Promise<void>;
}

/**
 * Forwards 127.0.0.1:<port> to `target`. The first `cuts.length` connections
 * are reset (RST) once `cuts[i]` bytes of the server's answer have passed.
 */
export async function startCuttingRelay(target: string, cuts: number[]): Promise<CuttingRelay> {
  const { hostname, port } = new URL(target);
  const bytesPerConnection: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const index = bytesPerConnection.push(0) - 1;
    const cutAfter = cuts[index];
    const upstream = net.connect(Number(port), hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      const room =
        cutAfter === undefined ? chunk.length : cutAfter - (bytesPerConnection[index] ?? 0);
      const passed = chunk.subarray(0, Math.max(0, room));
      bytesPerConnection[index] = (bytesPerConnection[index] ?? 0) + passed.length;
      // Backpressure: what the relay has passed is close to what the client could receive.
      if (passed.length > 0 && !client.write(passed)) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
      if (passed.length < chunk.length) {
        client.resetAndDestroy();
        upstream.destroy();
      }
    });
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    origin: `http://127.0.0.1:${address.port}`,
    bytesPerConnection,
    close,
    [Symbol.asyncDispose]: close,
  };
}
