// A counting HTTP relay in front of a registry (or a token issuer): it forwards each
// request with its Host header unchanged, so the registry's absolute Locations name the
// relay, and records exactly what passed: method, path, request headers, status and
// body bytes. On demand it also misbehaves the way real registries and networks do:
// - corrupt: flips one byte in the middle of a blob body passing through;
// - throttle: answers the first N requests matching a pattern with 429 and Retry-After;
// - redirectBlobs: answers a blob GET with a 307 to a storage server holding the bytes,
//   as Distribution does with a cloud storage driver (registry/handlers/blobserver);
// - referrers: answers GET /v2/<name>/referrers/<digest> itself with an image index, as a
//   registry with the OCI 1.1 referrers API does (Distribution 2.8 has none: it answers 404);
//   with referrersPageSize, in pages of that many, each but the last naming the next in a
//   `Link: <...?page=N>; rel="next"` header (relative, as the spec's examples are);
// - hold: never answers requests matching a pattern, as a stalled server does;
// - answer: answers requests matching a pattern itself with a fixed status and body, as a
//   registry's catch-all route or a front page does for a path it does not know.
import { once } from 'node:events';
import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Transform } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { BlobStorage } from './blob-storage.ts';

export interface RelayedRequest {
  method: string;
  /** The request target as received: path and query. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The digest of a /v2/<name>/blobs/<digest> request. */
  blobDigest: string | undefined;
  action: 'forwarded' | 'throttled' | 'redirected' | 'failed' | 'referrers' | 'held' | 'answered';
  /** The status the client got; 0 until answered. */
  status: number;
  /** Body bytes the relay sent to the client. */
  bytesSent: number;
  /** Offset in the body of the byte flipped by `corrupt`. */
  flippedAt: number | undefined;
  /** The response has ended or the connection closed. */
  finished: boolean;
}

export interface RelayOptions {
  onRequest?: (request: RelayedRequest) => void;
  onFinish?: (request: RelayedRequest) => void;
  corrupt?: 'flip-one-byte-of-blob';
  /** How many blob bodies to corrupt; default all of them. */
  corruptTimes?: number;
  /** `match` is tested against `METHOD path`, e.g. /^GET \/v2\/.+\/blobs\//. */
  /** `retryAfter` null: the answer has no Retry-After header (a plain 503). */
  throttle?: { match: RegExp; times: number; retryAfter?: string | null; status?: number };
  redirectBlobs?: { storage: BlobStorage; status?: 301 | 302 | 303 | 307 | 308 };
  /**
   * Serve the referrers API (OCI distribution spec 1.1): subject digest → the descriptors of
   * the manifests that refer to it (with their artifactType). Read at each request, so a test
   * may add to it after the relay started; a digest not in it has none (an empty index).
   */
  referrers?: Map<string, object[]>;
  /** With `referrers`: list that many per page, the next page named by a Link header. */
  referrersPageSize?: number;
  /** `match` is tested against `METHOD path`: such requests are never answered. */
  hold?: RegExp;
  /** `match` is tested against `METHOD path`: such requests get this answer, every time. */
  answer?: { match: RegExp; status: number; contentType: string; body: string };
  /** The target's CA when it speaks https. */
  caCert?: string;
}

export interface Relay extends AsyncDisposable {
  readonly origin: string;
  /** `127.0.0.1:PORT`, for oci://HOST/REPO:TAG. */
  readonly host: string;
  readonly requests: RelayedRequest[];
  /** Finished blob GETs that carried blob bytes (200 or 206), in order. */
  blobGets(): RelayedRequest[];
  /** Resolves once `count` (default 1) finished requests match, whenever they finished. */
  waitFor(
    predicate: (request: RelayedRequest) => boolean,
    count?: number,
  ): Promise<RelayedRequest[]>;
  close(): Promise<void>;
}

const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
const blobPath = /^\/v2\/.+\/blobs\/([a-z0-9]+:[a-f0-9]+)(?:\?|$)/;
const referrersPath = /^\/v2\/.+\/referrers\/([a-z0-9]+:[a-f0-9]+)(?:\?|$)/;

export async function startRelay(target: string, options: RelayOptions = {}): Promise<Relay> {
  const targetUrl = new URL(target);
  const client = targetUrl.protocol === 'https:' ? https : http;
  const requests: RelayedRequest[] = [];
  const waiters = new Set<() => void>();
  let throttled = 0;
  let corrupted = 0;

  const finish = (record: RelayedRequest) => {
    if (record.finished) return;
    record.finished = true;
    options.onFinish?.(record);
    for (const waiter of waiters) waiter();
  };

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    record: RelayedRequest,
    redirect: boolean,
  ) => {
    const headers = endToEnd(req.headers);
    if (redirect) {
      delete headers.range;
      delete headers['if-range'];
    }
    const upstream = client.request(new URL(req.url ?? '/', targetUrl), {
      method: req.method,
      headers,
      agent: false,
      ...(options.caCert ? { ca: options.caCert } : {}),
    });
    upstream.on('response', (answer) => {
      const status = answer.statusCode ?? 502;
      const carriesBlob = req.method === 'GET' && (status === 200 || status === 206);
      const flip =
        carriesBlob &&
        record.blobDigest !== undefined &&
        options.corrupt !== undefined &&
        corrupted < (options.corruptTimes ?? Infinity);
      if (flip) corrupted++;
      if (redirect && status === 200 && options.redirectBlobs) {
        void redirectToStorage(answer, res, record, flip, options.redirectBlobs);
      } else {
        passThrough(answer, res, record, flip);
      }
    });
    upstream.on('error', () => {
      record.action = 'failed';
      if (res.headersSent) res.destroy();
      else {
        record.status = 502;
        res.writeHead(502).end();
      }
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  };

  const server = http.createServer((req, res) => {
    const path = req.url ?? '';
    const record: RelayedRequest = {
      method: req.method ?? '',
      path,
      headers: req.headers,
      blobDigest: blobPath.exec(path)?.[1],
      action: 'forwarded',
      status: 0,
      bytesSent: 0,
      flippedAt: undefined,
      finished: false,
    };
    requests.push(record);
    options.onRequest?.(record);
    res.on('close', () => finish(record));
    const rule = options.throttle;
    if (rule && throttled < rule.times && rule.match.test(`${record.method} ${path}`)) {
      throttled++;
      record.action = 'throttled';
      record.status = rule.status ?? 429;
      req.resume();
      res
        .writeHead(record.status, {
          ...(rule.retryAfter === null ? {} : { 'retry-after': rule.retryAfter ?? '1' }),
          'content-length': 0,
        })
        .end();
      return;
    }
    if (options.hold?.test(`${record.method} ${path}`)) {
      record.action = 'held';
      req.resume();
      return;
    }
    const canned = options.answer;
    if (canned?.match.test(`${record.method} ${path}`)) {
      record.action = 'answered';
      record.status = canned.status;
      req.resume();
      const body = Buffer.from(canned.body);
      record.bytesSent = body.length;
      res
        .writeHead(canned.status, {
          'content-type': canned.contentType,
          'content-length': body.length,
        })
        .end(body);
      return;
    }
    const subject = referrersPath.exec(path)?.[1];
    if (options.referrers !== undefined && record.method === 'GET' && subject !== undefined) {
      record.action = 'referrers';
      record.status = 200;
      req.resume();
      const all = options.referrers.get(subject) ?? [];
      const size = options.referrersPageSize ?? Math.max(all.length, 1);
      const url = new URL(path, 'http://relay');
      const page = Number(url.searchParams.get('page') ?? 1);
      const more = page * size < all.length;
      const body = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: all.slice((page - 1) * size, page * size),
        }),
      );
      record.bytesSent = body.length;
      res
        .writeHead(200, {
          'content-type': 'application/vnd.oci.image.index.v1+json',
          'content-length': body.length,
          ...(more ? { link: `<${url.pathname}?page=${page + 1}>; rel="next"` } : {}),
        })
        .end(body);
      return;
    }
    const redirect =
      options.redirectBlobs !== undefined &&
      record.method === 'GET' &&
      record.blobDigest !== undefined;
    forward(req, res, record, redirect);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closed;
  };
  return {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    blobGets: () =>
      requests.filter(
        (r) =>
          r.finished &&
          r.method === 'GET' &&
          r.blobDigest !== undefined &&
          (r.status === 200 || r.status === 206),
      ),
    waitFor: (predicate, count = 1) =>
      new Promise((resolve) => {
        const check = () => {
          const matching = requests.filter((r) => r.finished && predicate(r));
          if (matching.length < count) return;
          waiters.delete(check);
          resolve(matching);
        };
        waiters.add(check);
        check();
      }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Streams the answer to the client, counting its bytes, flipping the middle one if `flip`. */
function passThrough(
  answer: IncomingMessage,
  res: ServerResponse,
  record: RelayedRequest,
  flip: boolean,
): void {
  const length = Number(answer.headers['content-length'] ?? 0);
  record.status = answer.statusCode ?? 502;
  res.writeHead(record.status, endToEnd(answer.headers));
  answer.pipe(countingTransform(record, flip ? Math.floor(length / 2) : undefined)).pipe(res);
  answer.on('aborted', () => res.destroy());
}

/** Reads the whole blob, stores it (flipped if `flip`) and answers with a redirect to it. */
async function redirectToStorage(
  answer: IncomingMessage,
  res: ServerResponse,
  record: RelayedRequest,
  flip: boolean,
  redirect: NonNullable<RelayOptions['redirectBlobs']>,
): Promise<void> {
  const bytes = await buffer(answer).catch(() => undefined);
  if (!bytes) {
    record.action = 'failed';
    res.destroy();
    return;
  }
  if (flip) {
    record.flippedAt = Math.floor(bytes.length / 2);
    bytes[record.flippedAt] = (bytes[record.flippedAt] ?? 0) ^ 0xff;
  }
  record.action = 'redirected';
  record.status = redirect.status ?? 307;
  const location = redirect.storage.put(record.blobDigest ?? '', bytes);
  res.writeHead(record.status, { location, 'content-length': 0 }).end();
}

/** Counts body bytes into the record and flips the byte at `flipAt` (when given). */
function countingTransform(record: RelayedRequest, flipAt: number | undefined): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const start = record.bytesSent;
      record.bytesSent += chunk.length;
      if (flipAt !== undefined && flipAt >= start && flipAt < record.bytesSent) {
        const copy = Buffer.from(chunk);
        copy[flipAt - start] = (copy[flipAt - start] ?? 0) ^ 0xff;
        record.flippedAt = flipAt;
        callback(null, copy);
        return;
      }
      callback(null, chunk);
    },
  });
}

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !hopByHop.has(name)));
}
