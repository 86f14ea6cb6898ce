/**
 * The probe endpoint: GET or HEAD of exactly `/healthz` answers 200 `ok`.
 * It needs no signature and says nothing about files: it never touches the
 * served folder, so it answers whatever the folder holds. Any query is
 * ignored. Everything else, `/healthz/`, `/healthz/../app.jar`, `/healthzX`,
 * an encoded `/%68ealthz` or another method, is an ordinary request.
 */
import type { ServerResponse } from 'node:http';
import { splitTarget } from './request-target.ts';
import { sendText } from './responses.ts';

export const healthPath = '/healthz';

/** True for a probe: GET or HEAD whose path, as sent, is exactly `/healthz`. */
export function isHealthCheck(method: string | undefined, target: string | undefined): boolean {
  return (method === 'GET' || method === 'HEAD') && splitTarget(target).rawPath === healthPath;
}

/** 200 `ok`, plain text, not to be cached. */
export function answerHealthCheck(response: ServerResponse): void {
  sendText(response, 200, 'ok');
}
