/**
 * This process: what it is (the loader's version, and the User-Agent it
 * sends) and how long it took to start. The entry imports it for --version,
 * so it imports no built-in that Node has not loaded at start-up anyway
 * (node:diagnostics_channel is; importing node:fs would load a module more).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { nowMs } from './clock.ts';

// Replaced at build time by scripts/build.mjs from package.json.
declare const __LOADER_VERSION__: string | undefined;

export const loaderVersion: string =
  typeof __LOADER_VERSION__ === 'string' ? __LOADER_VERSION__ : '0.0.0-dev';

export const userAgent = `runtime-loader/${loaderVersion} node/${process.versions.node}`;

/** node:http publishes every client request it makes on this channel (its documented diagnostics API). */
const requestCreated = 'http.client.request.created';

/**
 * Start-up cost as an orchestrator sees it: milliseconds from process start
 * (clock.ts: Node's own start, so the module loading counts too) to the moment the first HTTP request is dispatched.
 * Returns a reader: undefined until a request was made (a configuration
 * error, a file already in place).
 */
export function watchStartupMs(): () => number | undefined {
  let startupMs: number | undefined;
  const onRequest = () => {
    startupMs = Math.round(nowMs());
    unsubscribe(requestCreated, onRequest);
  };
  subscribe(requestCreated, onRequest);
  return () => startupMs;
}
