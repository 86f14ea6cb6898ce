import type { FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendBody } from './file-body.ts';
import { fileHeaders, unsatisfiableHeaders, validatorHeaders } from './file-headers.ts';
import { decideRange, spanOf } from './range.ts';
import { type AccessRecord, contentTypeFor, reply } from './responses.ts';
import type { Pacing } from './throttle.ts';
import { isNotModified, validatorsFor } from './validators.ts';

/** One GET or HEAD of an opened file, signature already checked. */
export interface FileExchange {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly record: AccessRecord;
  /** The path as sent, for the Content-Type. */
  readonly rawPath: string;
  /** The time the signature was checked against; the validators are judged by it too. */
  readonly now: Date;
  /** The per-connection cap; undefined for none. */
  readonly pacing: Pacing | undefined;
  /** How long a connection may hold unsent bytes of the body before it is cut. */
  readonly sendTimeoutMs: number;
}

/**
 * Answers from the opened file, in the order of RFC 9110: 304 when a
 * condition says the client's copy is current (§13.2.2, before Range), 416
 * for a range the file cannot satisfy, else 200 or 206 with the body (none
 * for HEAD). The handle is closed here once the answer is sent.
 */
export async function respondWithFile(handle: FileHandle, exchange: FileExchange): Promise<void> {
  const { request, response, record, now } = exchange;
  try {
    const stats = await handle.stat({ bigint: true });
    const sizeBytes = Number(stats.size);
    const validators = validatorsFor(stats, now);
    if (isNotModified(request.method, request.headers, validators, now)) {
      // The validators and Cache-Control, no body (§15.4.5).
      record.reason = 'not modified';
      record.complete = true;
      response.writeHead(304, validatorHeaders(validators));
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
    if (decision.kind === 'unsatisfiable') {
      record.reason = 'range not satisfiable';
      const headers = unsatisfiableHeaders(validators, sizeBytes);
      return reply(response, record, 416, 'Range not satisfiable', headers);
    }
    const span = spanOf(decision, sizeBytes);
    const headers = fileHeaders(validators, contentTypeFor(exchange.rawPath), span);
    response.writeHead(span.partial ? 206 : 200, headers);
    if (request.method === 'HEAD' || span.lengthBytes === 0) {
      record.complete = true;
      response.end();
      return;
    }
    await sendBody(handle, span, response, record, {
      throttle: exchange.pacing?.throttleFor(request.socket),
      sendTimeoutMs: exchange.sendTimeoutMs,
    });
  } finally {
    await handle.close();
  }
}
