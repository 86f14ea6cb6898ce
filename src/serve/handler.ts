import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { SigningKey } from '../signing/keys.ts';
import { verifySignature } from '../signing/verify-url.ts';
import { isNotModified } from './conditional.ts';
import { decideRange, type FileValidators } from './range.ts';
import { openPublishedFile } from './request-path.ts';
import { contentTypeFor, sendText } from './responses.ts';
import { ConnectionThrottle } from './throttle.ts';
import { validatorsFor } from './validators.ts';

export interface HandlerOptions {
  /** Real path of the served folder. */
  readonly folderReal: string;
  /** Active keys: the first signs, all verify (rotation). */
  readonly keys: readonly SigningKey[];
  readonly clockSkewSeconds: number;
  /** Per-connection cap in bytes per second; undefined for none. */
  readonly bytesPerSecondPerConnection: number | undefined;
  readonly now: () => Date;
}

/** What the access log records of one request. Never the query: it holds the signature. */
export interface AccessRecord {
  method: string;
  path: string;
  status: number;
  bytes: number;
  keyId?: string;
  range?: string;
  reason?: string;
  /** Set once the whole answer was handed to the connection; false for a client gone mid-body. */
  complete: boolean;
}

const streamChunkBytes = 1024 * 1024;
/** Paced reads of about 10 ms each: smooth enough, and few timers even at hundreds of MiB/s. */
const pacedChunkBytes = (bytesPerSecond: number) =>
  Math.min(streamChunkBytes, Math.max(16 * 1024, Math.round(bytesPerSecond / 100)));

/**
 * Serves GET and HEAD for files under the folder, only through valid signed
 * URLs: the signature is checked before the file system is touched, and the
 * path is checked again on its own (see request-path.ts), so even a validly
 * signed traversal gets nowhere.
 */
export function createHandler(options: HandlerOptions) {
  const throttles = new WeakMap<Socket, ConnectionThrottle>();
  const throttleFor = (socket: Socket, bytesPerSecond: number) => {
    let throttle = throttles.get(socket);
    if (throttle === undefined) {
      throttle = new ConnectionThrottle(bytesPerSecond);
      throttles.set(socket, throttle);
    }
    return throttle;
  };

  return async (
    request: IncomingMessage,
    response: ServerResponse,
    record: AccessRecord,
  ): Promise<void> => {
    const target = request.url ?? '';
    const queryAt = target.indexOf('?');
    const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
    record.path = rawPath.slice(0, 256);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      record.reason = 'method not allowed';
      return reply(response, record, 405, 'Method not allowed', { allow: 'GET, HEAD' });
    }
    if (!rawPath.startsWith('/')) {
      record.reason = 'request target is not a path';
      return reply(response, record, 400, 'Bad request');
    }
    const now = options.now();
    const verdict = verifySignature(
      {
        path: rawPath,
        query: new URLSearchParams(queryAt === -1 ? '' : target.slice(queryAt + 1)),
      },
      options.keys,
      now,
      { clockSkewSeconds: options.clockSkewSeconds },
    );
    if (!verdict.ok) {
      record.reason = verdict.reason;
      return reply(response, record, 403, verdict.message);
    }
    record.keyId = verdict.keyId;

    const lookup = await openPublishedFile(options.folderReal, rawPath);
    if (!lookup.found) {
      record.reason = lookup.reason;
      const text = { 400: 'Bad request', 404: 'Not found', 500: 'Internal error' }[lookup.status];
      return reply(response, record, lookup.status, text);
    }
    const { handle } = lookup;
    let streaming = false;
    try {
      const stats = await handle.stat({ bigint: true });
      const sizeBytes = Number(stats.size);
      const validators = validatorsFor(stats, now);
      if (isNotModified(request.method, request.headers, validators, now)) {
        // Before Range (RFC 9110 §13.2.2); the validators and Cache-Control, no body (§15.4.5).
        record.reason = 'not modified';
        record.complete = true;
        response.writeHead(304, notModifiedHeaders(validators));
        response.end();
        return;
      }
      // Range applies to GET only (RFC 9110 §14.2): a HEAD gets the whole file's headers.
      const rangeHeader = request.method === 'GET' ? request.headers.range : undefined;
      if (rangeHeader !== undefined) record.range = rangeHeader.slice(0, 64);
      const ifRange = request.headers['if-range'];
      const decision = decideRange(
        rangeHeader,
        typeof ifRange === 'string' ? ifRange : undefined,
        sizeBytes,
        validators,
      );
      const headers: Record<string, string | number> = {
        'accept-ranges': 'bytes',
        ...notModifiedHeaders(validators),
        'content-type': contentTypeFor(rawPath),
      };
      if (decision.kind === 'unsatisfiable') {
        record.reason = 'range not satisfiable';
        const { 'content-type': _type, 'cache-control': _cache, ...validatorHeaders } = headers;
        return reply(response, record, 416, 'Range not satisfiable', {
          ...stringValues(validatorHeaders),
          'content-range': `bytes */${sizeBytes}`,
        });
      }
      const [firstByte, lastByte] =
        decision.kind === 'partial' ? [decision.firstByte, decision.lastByte] : [0, sizeBytes - 1];
      const lengthBytes = lastByte - firstByte + 1;
      headers['content-length'] = lengthBytes;
      if (decision.kind === 'partial') {
        headers['content-range'] = `bytes ${firstByte}-${lastByte}/${sizeBytes}`;
      }
      response.writeHead(decision.kind === 'partial' ? 206 : 200, headers);
      if (request.method === 'HEAD' || lengthBytes === 0) {
        record.complete = true;
        response.end();
        return;
      }
      const rate = options.bytesPerSecondPerConnection;
      const body = handle.createReadStream({
        start: firstByte,
        end: lastByte,
        highWaterMark: rate === undefined ? streamChunkBytes : pacedChunkBytes(rate),
      });
      streaming = true;
      const sending =
        rate === undefined
          ? pipeline(body, response, { end: false })
          : pipeline(body, throttleFor(request.socket, rate).transform(record), response, {
              end: false,
            });
      if (rate === undefined) {
        body.on('data', (chunk: string | Buffer) => {
          // Always a Buffer: no encoding is set on the stream.
          record.bytes += chunk.length;
        });
      }
      try {
        await sending;
      } catch (error) {
        // A client that closes as soon as it has every byte can beat the pipeline's own end.
        if (record.bytes < lengthBytes) throw error;
      }
      if (record.bytes < lengthBytes) {
        // The file shrank while it was sent: break the connection, so the client sees a
        // truncated body instead of waiting on a kept-alive connection for bytes that never come.
        record.reason = `file shrank: ${record.bytes} of ${lengthBytes} bytes sent`;
        response.destroy();
        return;
      }
      record.complete = true;
      if (!response.destroyed) response.end();
    } finally {
      // The read stream closes the handle itself once it was handed over.
      if (!streaming) await handle.close();
    }
  };
}

/** What a 304 carries, and every 200/206 too (RFC 9110 §15.4.5). */
function notModifiedHeaders(validators: FileValidators): Record<string, string> {
  return {
    etag: validators.etag,
    'last-modified': validators.lastModified,
    // Proxies must not compress or cache what a signature grants to one holder.
    'cache-control': 'private, no-transform',
  };
}

/** A short text answer, recorded as complete: it is a single write. */
function reply(
  response: ServerResponse,
  record: AccessRecord,
  ...rest: [status: number, text: string, headers?: Record<string, string>]
): void {
  record.complete = true;
  sendText(response, ...rest);
}

function stringValues(headers: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, String(value)]));
}
