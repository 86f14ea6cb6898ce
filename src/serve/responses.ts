import type { ServerResponse } from 'node:http';
import type { AccessRecord } from './access-record.ts';

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
