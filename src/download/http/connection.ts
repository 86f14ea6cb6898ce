import type { Socket } from 'node:net';
import { TransportError } from './transport-error.ts';

/** Set on a socket once it is connected (and, over TLS, once the handshake is done). */
const ready = Symbol('connection ready');

type Connecting = Socket & { [ready]?: true };

/**
 * Bounds `socket`'s TCP connect, and its TLS handshake when it is a TLS
 * socket, by `connectTimeoutMs` (LOADER_CONNECT_TIMEOUT_SECONDS): beyond it
 * the socket is destroyed with CONNECT_TIMEOUT. Marks the socket ready when it
 * is through (see whenReady). Returns the socket.
 */
export function connectWithin<S extends Socket>(socket: S, connectTimeoutMs: number): S {
  const through = readyEvent(socket);
  const timer = setTimeout(() => {
    socket.destroy(
      new TransportError(
        'CONNECT_TIMEOUT',
        `no connection within the connect timeout (${connectTimeoutMs} ms)`,
      ),
    );
  }, connectTimeoutMs);
  socket.once(through, () => {
    clearTimeout(timer);
    (socket as Connecting)[ready] = true;
  });
  socket.once('close', () => clearTimeout(timer));
  return socket;
}

/** Calls `then` once `socket` is ready (at once when it is: a kept-alive one). */
export function whenReady(socket: Socket, then: () => void): void {
  if ((socket as Connecting)[ready]) then();
  else socket.once(readyEvent(socket), then);
}

/** A TLS socket (its `encrypted` is true) is ready after its handshake; node:tls need not be loaded to tell. */
function readyEvent(socket: Socket): 'secureConnect' | 'connect' {
  return (socket as { encrypted?: boolean }).encrypted === true ? 'secureConnect' : 'connect';
}
