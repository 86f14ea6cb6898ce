import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { whenReady } from './connection.ts';
import { TransportError } from './transport-error.ts';

/**
 * The stall timeout of one request (LOADER_STALL_TIMEOUT_SECONDS): silence
 * allowed on its connection while the loader waits for it, before the
 * response headers (HEADERS_TIMEOUT) and between body chunks (BODY_TIMEOUT).
 * It starts once the connection is up (the connect timeout bounds that), every
 * byte received restarts it, and it does not run while the reader holds the
 * body back: when the body's buffer is full, node:http pauses the socket, and
 * a slow disk is not a silent server. An answer complete on the wire is never
 * cut. Exact to the millisecond: one timer, restarted in place.
 */
export function watchStalls(request: ClientRequest, stallTimeoutMs: number): void {
  let socket: Socket | undefined;
  let response: IncomingMessage | undefined;
  // Running once the connection is up, and while the socket is not paused; stopped for good at the end.
  let running = false;
  let stopped = false;
  const timer = setTimeout(() => {
    if (stopped || !running || response?.complete) return;
    if (response === undefined) {
      request.destroy(stalled('HEADERS_TIMEOUT', 'no response headers', stallTimeoutMs));
    } else {
      response.destroy(stalled('BODY_TIMEOUT', 'no data received', stallTimeoutMs));
    }
  }, stallTimeoutMs);
  timer.unref();
  // refresh() would bring a cleared timer back: nothing restarts it once stopped.
  const heard = () => {
    if (!stopped) timer.refresh();
  };
  const held = () => {
    running = false;
  };
  const released = () => {
    if (stopped) return;
    running = true;
    timer.refresh();
  };
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    socket?.off('data', heard).off('pause', held).off('resume', released);
  };
  request.once('socket', (assigned: Socket) => {
    socket = assigned;
    whenReady(assigned, () => {
      if (socket !== assigned) return;
      released();
      assigned.on('data', heard).on('pause', held).on('resume', released);
    });
  });
  request.once('response', (answer: IncomingMessage) => {
    response = answer;
    answer.once('end', stop).once('close', stop);
  });
  request.once('close', () => {
    if (response === undefined || response.complete) stop();
  });
  request.once('error', stop);
}

function stalled(code: string, what: string, stallTimeoutMs: number): TransportError {
  return new TransportError(code, `${what} within the stall timeout (${stallTimeoutMs} ms)`);
}
