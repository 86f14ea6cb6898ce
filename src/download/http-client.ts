import { type Dispatcher, EnvHttpProxyAgent } from 'undici';

export interface HttpClientOptions {
  readonly connectTimeoutMs: number;
  readonly stallTimeoutMs: number;
}

/**
 * One undici dispatcher for the whole run. EnvHttpProxyAgent reads HTTP_PROXY,
 * HTTPS_PROXY and NO_PROXY the way curl and Node users expect; TLS uses Node's
 * CA store, which NODE_EXTRA_CA_CERTS extends at process start.
 *
 * The stall timeout is undici's headersTimeout and bodyTimeout: both measure
 * silence (time to the headers, time between body chunks), not total time.
 */
export function createDispatcher(options: HttpClientOptions): Dispatcher {
  return new EnvHttpProxyAgent({
    connect: { timeout: options.connectTimeoutMs },
    headersTimeout: options.stallTimeoutMs,
    bodyTimeout: options.stallTimeoutMs,
    // One artifact, one connection at a time: no pipelining.
    pipelining: 0,
  });
}
