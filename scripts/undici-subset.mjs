// What the bundle gets for `import ... from 'undici'` (scripts/build.mjs points
// the import here). undici's index.js loads its whole API when imported: fetch,
// WebSocket, the cache stores (node:sqlite), mocks, interceptors. The loader
// needs two dispatchers, so the bundle takes them from their own modules; a name
// that src/ imports but this file does not export fails the build.
import api from 'undici/lib/api/index.js';
import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js';
import Pool from 'undici/lib/dispatcher/pool.js';

// As undici's index.js does: request(), stream() and the rest on every dispatcher.
Object.assign(Dispatcher.prototype, api);

export { EnvHttpProxyAgent, Pool };
