/**
 * A failure the HTTP client itself detects, as Node's own errors of the
 * connection carry one: a `code` that classify.ts reads (a timeout, a proxy
 * that refused the tunnel). The message holds nothing a server sent.
 */
export class TransportError extends Error {
  readonly code: string;
  /** The proxy's status, for a tunnel it refused. */
  readonly proxyStatus: number | undefined;

  constructor(code: string, message: string, proxyStatus?: number) {
    super(message);
    this.name = 'TransportError';
    this.code = code;
    this.proxyStatus = proxyStatus;
  }
}
