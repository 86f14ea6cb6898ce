// The loader's own HTTP client as the in-process tests use it: no proxy unless
// given, short timeouts, and closed (every connection) when the test is done.
import { HttpClient, type HttpClientOptions } from '../../src/download/http/http-client.ts';

const noProxy = { httpProxy: undefined, httpsProxy: undefined, noProxy: undefined };

/** A client with a 2 s connect timeout and a 5 s stall timeout unless `options` say otherwise. */
export function testClient(options: Partial<HttpClientOptions> = {}): HttpClient & Disposable {
  const client = new HttpClient({
    connectTimeoutMs: 2_000,
    stallTimeoutMs: 5_000,
    proxy: noProxy,
    ...options,
  });
  return Object.assign(client, { [Symbol.dispose]: () => client.close() });
}
