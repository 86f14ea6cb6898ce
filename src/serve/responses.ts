/** The access record every answer fills in, and the short answers that are no file. */
import type { ServerResponse } from 'node:http';

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

/** A short plain-text answer, like S3's, that never echoes the request. */
export function sendText(
  response: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  const body = `${text}\n`;
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

/** A short text answer, recorded as complete: it is a single write. */
export function reply(
  response: ServerResponse,
  record: AccessRecord,
  ...rest: [status: number, text: string, headers?: Record<string, string>]
): void {
  record.complete = true;
  sendText(response, ...rest);
}

/** Content-Type by extension; everything else is opaque bytes. */
export function contentTypeFor(path: string): string {
  if (/\.(jar|war|ear)$/i.test(path)) return 'application/java-archive';
  if (/\.zip$/i.test(path)) return 'application/zip';
  return 'application/octet-stream';
}
