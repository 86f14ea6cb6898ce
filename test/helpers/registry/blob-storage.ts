// The storage a registry redirects blob GETs to (S3, GCS, a CDN), on loopback: it serves
// bytes by path under a pre-signed-looking URL, honours a single Range, and records each
// request's headers so a test can see whether a client carried Authorization across the
// redirect. Like S3 with a pre-signed URL, it refuses a request that also has an
// Authorization header (400) unless told to ignore it.
import { serve } from '../loopback-server.ts';

export interface BlobStorage extends AsyncDisposable {
  readonly origin: string;
  /** Request targets and headers, in order (from the loopback server). */
  readonly paths: string[];
  readonly headers: Record<string, string | string[] | undefined>[];
  /** Stores `bytes`; returns the absolute URL to redirect to. */
  put(digest: string, bytes: Buffer): string;
}

export const storageSignature = 'X-Amz-Signature=0123456789abcdef';

export async function startBlobStorage(
  options: { refuseAuthorization?: boolean } = {},
): Promise<BlobStorage> {
  const stored = new Map<string, Buffer>();
  const refuseAuthorization = options.refuseAuthorization ?? true;
  const server = await serve((request, response) => {
    const url = new URL(request.url ?? '/', 'http://storage');
    const bytes = stored.get(url.pathname);
    if (!bytes || !url.search.includes(storageSignature)) {
      response.writeHead(403).end();
      return;
    }
    if (refuseAuthorization && request.headers.authorization !== undefined) {
      response.writeHead(400, { 'content-type': 'application/xml' });
      response.end(
        '<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>',
      );
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
    const start = Number(range?.[1] ?? 0);
    const end = range?.[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
    if (range && start >= bytes.length) {
      response.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
      return;
    }
    const body = bytes.subarray(start, end + 1);
    response.writeHead(range ? 206 : 200, {
      'content-type': 'application/octet-stream',
      'content-length': body.length,
      'accept-ranges': 'bytes',
      ...(range ? { 'content-range': `bytes ${start}-${end}/${bytes.length}` } : {}),
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  return {
    origin: server.origin,
    paths: server.paths,
    headers: server.headers,
    put: (digest, bytes) => {
      const path = `/blobs/${digest.replace(':', '/')}`;
      stored.set(path, bytes);
      return `${server.origin}${path}?X-Amz-Expires=300&${storageSignature}`;
    },
    [Symbol.asyncDispose]: server[Symbol.asyncDispose],
  };
}
