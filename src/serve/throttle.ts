import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A per-connection rate cap, the way object stores cap each stream: chunks
 * are released no faster than `bytesPerSecond`, with no initial burst. The
 * schedule lives with the connection, so keep-alive requests on one
 * connection share it.
 */
export class ConnectionThrottle {
  readonly #bytesPerSecond: number;
  #nextSendAtMs = 0;

  constructor(bytesPerSecond: number) {
    this.#bytesPerSecond = bytesPerSecond;
  }

  get bytesPerSecond(): number {
    return this.#bytesPerSecond;
  }

  /** Waits until `bytes` more may be sent on this connection. */
  async take(bytes: number, signal: AbortSignal): Promise<void> {
    const nowMs = performance.now();
    const sendAtMs = Math.max(nowMs, this.#nextSendAtMs);
    this.#nextSendAtMs = sendAtMs + (bytes / this.#bytesPerSecond) * 1000;
    if (sendAtMs > nowMs) await sleep(sendAtMs - nowMs, undefined, { signal });
  }
}

/** A per-connection cap: its rate, and the throttle of each connection. */
export interface Pacing {
  readonly bytesPerSecond: number;
  /** The connection's throttle, made on its first paced response and dropped with it. */
  throttleFor(socket: Socket): ConnectionThrottle;
}

/** Pacing at `bytesPerSecond` per connection, shared by the keep-alive requests on one. */
export function pacingOf(bytesPerSecond: number): Pacing {
  const throttles = new WeakMap<Socket, ConnectionThrottle>();
  return {
    bytesPerSecond,
    throttleFor: (socket) => {
      let throttle = throttles.get(socket);
      if (throttle === undefined) {
        throttle = new ConnectionThrottle(bytesPerSecond);
        throttles.set(socket, throttle);
      }
      return throttle;
    },
  };
}
