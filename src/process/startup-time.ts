import { subscribe, unsubscribe } from 'node:diagnostics_channel';

/** undici publishes every request it is handed on this channel (its documented diagnostics API). */
const requestCreated = 'undici:request:create';

/**
 * Start-up cost as an orchestrator sees it: milliseconds from process start
 * (performance.timeOrigin, before Node itself initialised, so the module
 * loading counts too) to the moment the first HTTP request is dispatched.
 * Returns a reader: undefined until a request was made (a configuration
 * error, a file already in place).
 */
export function watchStartupMs(): () => number | undefined {
  let startupMs: number | undefined;
  const onRequest = () => {
    startupMs = Math.round(performance.now());
    unsubscribe(requestCreated, onRequest);
  };
  subscribe(requestCreated, onRequest);
  return () => startupMs;
}
