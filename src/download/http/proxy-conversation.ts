import type { Socket } from 'node:net';
import { TransportError } from './transport-error.ts';

/**
 * The exchange with a proxy before its tunnel is open: writes, and reads of
 * whole messages, each wait bounded by the stall timeout. Whatever ends it
 * (an error of the socket, its close, the stall timeout, the signal) fails
 * the read under way, and `failed`.
 */
export class ProxyConversation {
  readonly #socket: Socket;
  readonly #stallTimeoutMs: number;
  readonly #signal: AbortSignal | undefined;
  #buffered: Buffer = Buffer.alloc(0);
  #reader: ((failure?: unknown) => void) | undefined;
  #failure: unknown;
  #timer: NodeJS.Timeout | undefined;
  readonly #failed = Promise.withResolvers<never>();

  constructor(socket: Socket, stallTimeoutMs: number, signal: AbortSignal | undefined) {
    this.#socket = socket;
    this.#stallTimeoutMs = stallTimeoutMs;
    this.#signal = signal;
    this.#failed.promise.catch(() => {});
    socket.on('data', this.#onData).on('end', this.#onClose).on('close', this.#onClose);
    socket.on('error', this.#onError);
    if (signal?.aborted) this.#fail(signal.reason);
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Rejects with what ended the conversation, should anything. */
  get failed(): Promise<never> {
    return this.#failed.promise;
  }

  write(bytes: string | Buffer): void {
    this.#socket.write(bytes);
  }

  /**
   * The next whole message: `complete` is given the bytes buffered so far and
   * returns the length of a whole message at their start, or undefined to
   * wait for more.
   */
  read(complete: (buffered: Buffer) => number | undefined): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.#reader = (failure) => {
        try {
          if (failure !== undefined) throw failure;
          const length = complete(this.#buffered);
          if (length === undefined) return;
          const message = this.#buffered.subarray(0, length);
          this.#buffered = this.#buffered.subarray(length);
          this.#stopWaiting();
          resolve(message);
        } catch (error) {
          this.#stopWaiting();
          reject(error);
        }
      };
      if (this.#failure !== undefined) return this.#reader(this.#failure);
      this.#timer = setTimeout(
        () =>
          this.#fail(
            new TransportError(
              'HEADERS_TIMEOUT',
              `no answer from the proxy within the stall timeout (${this.#stallTimeoutMs} ms)`,
            ),
          ),
        this.#stallTimeoutMs,
      );
      this.#reader();
    });
  }

  /**
   * The tunnel is open: the socket is the caller's, with anything the proxy
   * sent past its answer (what the target sent at once, in the same read).
   *
   * Why paused: the socket is flowing, and without this conversation's
   * listener nobody reads it until node:http attaches its parser, a tick
   * later. Bytes put back with unshift() would be emitted to no listener in
   * that tick, and lost. Paused, they wait in the socket's buffer; the first
   * 'data' listener resumes it (resume() starts the flow on the next tick,
   * once that listener is in place). Over TLS to the origin nothing can come
   * early (the origin speaks after the ClientHello), and TLS reads the
   * connection below this stream anyway.
   */
  handOver(): Socket {
    const socket = this.#socket;
    socket.pause();
    this.#detach();
    if (this.#buffered.length > 0) socket.unshift(this.#buffered);
    const resumeOnRead = (event: string | symbol) => {
      if (event !== 'data') return;
      socket.off('newListener', resumeOnRead);
      socket.resume();
    };
    socket.on('newListener', resumeOnRead);
    return socket;
  }

  /** Ends the conversation and the connection (after a failure). */
  close(): void {
    this.#detach();
    this.#socket.on('error', () => {});
    this.#socket.destroy();
  }

  #onData = (chunk: Buffer) => {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    this.#timer?.refresh();
    this.#reader?.();
  };

  #onClose = () =>
    this.#fail(
      new TransportError(
        'CONNECTION_CLOSED',
        'the proxy closed the connection before the tunnel was open',
      ),
    );

  #onError = (error: Error) => this.#fail(error);

  #onAbort = () => this.#fail(this.#signal?.reason);

  #fail(failure: unknown): void {
    if (this.#failure !== undefined) return;
    this.#failure = failure;
    this.#failed.reject(failure);
    this.#reader?.(failure);
  }

  #stopWaiting(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#reader = undefined;
  }

  #detach(): void {
    this.#stopWaiting();
    this.#socket.off('data', this.#onData).off('end', this.#onClose).off('close', this.#onClose);
    this.#socket.off('error', this.#onError);
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}
