import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SigningKey } from '../urls/keys.ts';
import { verifySignature } from '../urls/verify-url.ts';
import { respondWithFile } from './file-response.ts';
import { openPublishedFile } from './request-path.ts';
import { loggedPath, refusalOf, splitTarget } from './request-target.ts';
import { type AccessRecord, reply } from './responses.ts';
import { pacingOf } from './throttle.ts';

export interface HandlerOptions {
  /** Real path of the served folder. */
  readonly folderReal: string;
  /** Active keys: the first signs, all verify (rotation). */
  readonly keys: readonly SigningKey[];
  readonly clockSkewSeconds: number;
  /** Per-connection cap in bytes per second; undefined for none. */
  readonly bytesPerSecondPerConnection: number | undefined;
  /** A transfer whose connection does not drain its unsent bytes for this long is ended. */
  readonly sendTimeoutMs: number;
  readonly now: () => Date;
}

const lookupText = { 400: 'Bad request', 404: 'Not found', 500: 'Internal error' } as const;

/**
 * Serves GET and HEAD for files under the folder, only through valid signed
 * URLs: the signature is checked before the file system is touched, and the
 * path is checked again on its own (see request-path.ts), so even a validly
 * signed traversal gets nowhere.
 */
export function createHandler(options: HandlerOptions) {
  const rate = options.bytesPerSecondPerConnection;
  const pacing = rate === undefined ? undefined : pacingOf(rate);

  return async (
    request: IncomingMessage,
    response: ServerResponse,
    record: AccessRecord,
  ): Promise<void> => {
    const { rawPath, query } = splitTarget(request.url);
    record.path = loggedPath(rawPath);
    const refusal = refusalOf(request.method, rawPath);
    if (refusal !== undefined) {
      record.reason = refusal.reason;
      return reply(response, record, refusal.status, refusal.text, refusal.headers);
    }
    const now = options.now();
    const verdict = verifySignature({ path: rawPath, query }, options.keys, now, {
      clockSkewSeconds: options.clockSkewSeconds,
    });
    if (!verdict.ok) {
      record.reason = verdict.reason;
      return reply(response, record, 403, verdict.message);
    }
    record.keyId = verdict.keyId;
    const lookup = await openPublishedFile(options.folderReal, rawPath);
    if (!lookup.found) {
      record.reason = lookup.reason;
      return reply(response, record, lookup.status, lookupText[lookup.status]);
    }
    await respondWithFile(lookup.handle, {
      request,
      response,
      record,
      rawPath,
      now,
      pacing,
      sendTimeoutMs: options.sendTimeoutMs,
    });
  };
}
