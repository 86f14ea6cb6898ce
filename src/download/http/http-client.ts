import { type Dispatcher, EnvHttpProxyAgent, Pool } from 'undici';
import type { ProxySettings } from '../../config/types.ts';

export interface HttpClientOptions {
  readonly connectTimeoutMs: number;
  readonly stallTimeoutMs: number;
  readonly proxy: ProxySettings;
}

/**
 * One undici dispatcher for the whole run. The proxy settings come from
 * HTTP_PROXY, HTTPS_PROXY and NO_PROXY, read and checked once at the edge; TLS
 * uses Node's CA store, which NODE_EXTRA_CA_CERTS extends at process start.
 *
 * The stall timeout is undici's headersTimeout and bodyTimeout: both measure
 * silence (time to the headers, time between body chunks), not total time.
 * They are set per request too (see request.ts), and here on the proxy's own
 * CONNECT client, which would otherwise wait 300 s for a silent proxy.
 */
export function createDispatcher(options: HttpClientOptions): Dispatcher {
  const timeouts = { headersTimeout: options.stallTimeoutMs, bodyTimeout: options.stallTimeoutMs };
  return new EnvHttpProxyAgent({
    // An empty string means "none": undici then does not fall back to process.env.
    httpProxy: options.proxy.httpProxy ?? '',
    httpsProxy: options.proxy.httpsProxy ?? '',
    noProxy: options.proxy.noProxy ?? '',
    connect: { timeout: options.connectTimeoutMs },
    // The proxy agent takes its connect timeout under this name.
    connectTimeout: options.connectTimeoutMs,
    clientFactory: (origin, clientOptions) => new Pool(origin, { ...clientOptions, ...timeouts }),
    ...timeouts,
  });
}
