// A scriptable, fault-injecting artifact server on 127.0.0.1 (real sockets, port 0).
// Every request takes the next scheduled Fault; once the schedule is used up each
// request is served normally ('ok'), honouring Range and If-Range. A request whose
// Range starts at a byte with a schedule of its own (scheduleForRange) takes from
// that one instead, so a fault can hit one part of a download in parts whatever
// order its requests arrive in. Any path that has no route() handler serves the artifact.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

export type Fault =
  /** Serve normally: If-None-Match/If-Modified-Since (304), Range + If-Range (RFC 9110 §13, §14), 416. */
  | { kind: 'ok' }
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** Headers with the full Content-Length, `afterBytes` of body, then a TCP RST. */
  | { kind: 'reset'; afterBytes: number }
  /** Headers with the full Content-Length, `afterBytes` of body, then a clean FIN. */
  | { kind: 'close'; afterBytes: number }
  /** `afterBytes` of body, then silence until the client (or close()) gives up. */
  | { kind: 'stall'; afterBytes: number }
  /** Always 200 with the full body, even when a Range was asked. */
  | { kind: 'ignore-range' }
  /** A Range request gets a 206 whose Content-Range (and body) start `wrongRangeSkewBytes` off. */
  | { kind: 'wrong-content-range' }
  | { kind: 'redirect'; location: string; status?: number }
  /** Announce this Content-Length, send the real body, then close the connection. */
  | { kind: 'length'; contentLength: number }
  /** Chunked, no Content-Length: every byte asked for, then a FIN before the last chunk. */
  | { kind: 'cut-chunked' }
  /** Chunked, no Content-Length: the body plus `extraBytes`, 64 KiB per event-loop turn. */
  | { kind: 'oversize'; extraBytes: number }
  | { kind: 'slow'; bytesPerChunk: number; delayMs: number }
  /** `afterBytes` of body, then nothing until `until` settles, then the rest: an overlap on cue. */
  | { kind: 'hold'; afterBytes: number; until: Promise<unknown> }
  /** Replace the artifact (as setArtifact) just before answering, then serve this request normally. */
  | { kind: 'new-version'; body: Buffer; options?: ArtifactOptions };

export interface RecordedRequest {
  method: string;
  /** The request target as sent: path with query. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The fault applied, or 'route' when a route() handler answered. */
  fault: Fault['kind'] | 'route';
  /** Status answered; 0 while no header has been sent (or none ever was). */
  status: number;
  /** Body bytes handed to the socket (not necessarily read by the client). */
  bytesSent: number;
  /** The client closed the connection before the response was complete. */
  clientAborted: boolean;
  /** The client's port: requests with different ports came on different connections. */
  remotePort: number | undefined;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ArtifactOptions {
  /** Sent verbatim (quote it yourself; `W/"x"` for a weak tag). Default: quoted sha256 prefix; null: none. */
  etag?: string | null;
  /** Default: a fixed date that advances one second per setArtifact(); null: none. */
  lastModified?: string | null;
}

export interface ArtifactServer extends AsyncDisposable {
  /** Absolute URL; the default path carries a fake signed query (see `fakeSignature`). */
  url(path?: string): string;
  readonly origin: string;
  readonly requests: RecordedRequest[];
  readonly artifact: Buffer;
  readonly etag: string | null;
  readonly lastModified: string | null;
  setArtifact(body: Buffer, options?: ArtifactOptions): void;
  /** Faults for the next requests, in order (appended to any not yet used). */
  schedule(...faults: Fault[]): void;
  /** Faults for the next requests whose Range starts at `firstByte` (`bytes=firstByte-...`), in order. */
  scheduleForRange(firstByte: number, ...faults: Fault[]): void;
  /** Answer requests for this exact pathname (query ignored) with a handler; consumes no fault. */
  route(pathname: string, handler: RouteHandler): void;
  /** Stops listening and destroys every socket, stalled ones included. */
  close(): Promise<void>;
}

export const fakeSignature = 'SECRETSIG';
export const defaultArtifactPath = `/artifacts/app.jar?X-Amz-Signature=${fakeSignature}&X-Amz-Expires=300`;
/** How far 'wrong-content-range' moves the range it answers with. */
export const wrongRangeSkewBytes = 16;

const chunkBytes = 64 * 1024;
/** After the partial body of 'reset', give loopback a moment to deliver it before the RST. */
const settleBeforeResetMs = 20;

interface Artifact {
  body: Buffer;
  etag: string | null;
  lastModified: string | null;
}

interface Plan {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  record: RecordedRequest;
  /** Aborted when the response closes, for whatever reason. */
  signal: AbortSignal;
  /** Set when the server cuts the connection on purpose, so it is not blamed on the client. */
  cutByServer: boolean;
}

export async function startArtifactServer(
  options: { tls?: { key: string; cert: string } } = {},
): Promise<ArtifactServer> {
  const requests: RecordedRequest[] = [];
  const pending: Fault[] = [];
  const pendingByRange = new Map<number, Fault[]>();
  const routes = new Map<string, RouteHandler>();
  const sockets = new Set<Socket>();
  let version = 0;
  let artifact = makeArtifact(randomBytes(256 * 1024), {}, version);
  let closing = false;
  let closed: Promise<void> | undefined;

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const routeHandler = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
    const forRange = pendingByRange.get(rangeStartOf(req.headers.range) ?? -1);
    const next = forRange?.length ? forRange : pending;
    const fault: Fault = routeHandler ? { kind: 'ok' } : (next.shift() ?? { kind: 'ok' });
    if (fault.kind === 'new-version') {
      version += 1;
      artifact = makeArtifact(fault.body, fault.options ?? {}, version);
    }
    const record: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: { ...req.headers },
      fault: routeHandler ? 'route' : fault.kind,
      status: 0,
      bytesSent: 0,
      clientAborted: false,
      remotePort: req.socket.remotePort,
    };
    requests.push(record);
    const controller = new AbortController();
    const exchange: Exchange = { req, res, record, signal: controller.signal, cutByServer: false };
    res.on('close', () => {
      if (res.headersSent) record.status = res.statusCode;
      record.clientAborted = !res.writableFinished && !exchange.cutByServer && !closing;
      controller.abort();
    });
    if (routeHandler) {
      routeHandler(req, res);
      return;
    }
    applyFault(exchange, fault, artifact).catch((error: unknown) => {
      if (controller.signal.aborted) return; // the connection went away mid-write: expected
      console.error('fault-server: handler failed', error);
      res.destroy();
    });
  };

  const server = options.tls
    ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, onRequest)
    : http.createServer(onRequest);
  // Raw TCP sockets, so close() also reaches TLS handshakes the HTTP layer has not seen yet.
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const origin = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  const close = () => {
    closed ??= new Promise<void>((resolve, reject) => {
      closing = true;
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
    });
    return closed;
  };

  return {
    url: (path = defaultArtifactPath) => `${origin}${path}`,
    origin,
    requests,
    get artifact() {
      return artifact.body;
    },
    get etag() {
      return artifact.etag;
    },
    get lastModified() {
      return artifact.lastModified;
    },
    setArtifact(body, artifactOptions = {}) {
      version += 1;
      artifact = makeArtifact(body, artifactOptions, version);
    },
    schedule: (...faults) => {
      pending.push(...faults);
    },
    scheduleForRange: (firstByte, ...faults) => {
      pendingByRange.set(firstByte, [...(pendingByRange.get(firstByte) ?? []), ...faults]);
    },
    route: (pathname, handler) => {
      routes.set(pathname, handler);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

function makeArtifact(body: Buffer, options: ArtifactOptions, version: number): Artifact {
  const digest = createHash('sha256').update(body).digest('hex');
  const baseMs = Date.UTC(2025, 0, 1);
  return {
    body,
    etag: options.etag === undefined ? `"${digest.slice(0, 16)}"` : options.etag,
    lastModified:
      options.lastModified === undefined
        ? new Date(baseMs + version * 1000).toUTCString()
        : options.lastModified,
  };
}

async function applyFault(exchange: Exchange, fault: Fault, artifact: Artifact): Promise<void> {
  const { req, res } = exchange;
  switch (fault.kind) {
    case 'ok':
    case 'new-version':
      return sendBody(exchange, planResponse(req, artifact, true));
    case 'ignore-range':
      return sendBody(exchange, planResponse(req, artifact, false));
    case 'wrong-content-range':
      return sendBody(exchange, skewRange(planResponse(req, artifact, true), artifact));
    case 'status':
      res.writeHead(fault.status, fault.headers ?? {});
      res.end(fault.body ?? '');
      return;
    case 'redirect':
      res.writeHead(fault.status ?? 307, { location: fault.location });
      res.end();
      return;
    case 'length': {
      const plan = planResponse(req, artifact, true);
      // Connection: close makes node end the socket after the body, whichever length was announced.
      const headers = {
        ...plan.headers,
        'content-length': String(fault.contentLength),
        connection: 'close',
      };
      return sendBody(exchange, { ...plan, headers });
    }
    case 'oversize': {
      const plan = planResponse(req, artifact, true);
      const { 'content-length': _announced, ...headers } = plan.headers;
      const body = Buffer.concat([plan.body, Buffer.alloc(fault.extraBytes, 0x5a)]);
      return sendBody(exchange, { ...plan, headers, body }, { pace: () => nextTurn() });
    }
    case 'cut-chunked': {
      const plan = planResponse(req, artifact, true);
      const { 'content-length': _announced, ...headers } = plan.headers;
      return sendPartial(exchange, { ...plan, headers }, 'close', plan.body.length);
    }
    case 'slow':
      return sendBody(exchange, planResponse(req, artifact, true), {
        chunkBytes: fault.bytesPerChunk,
        pace: () => sleep(fault.delayMs, undefined, { signal: exchange.signal }),
      });
    case 'hold': {
      const { signal } = exchange;
      const aborted = new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
      return sendBody(exchange, planResponse(req, artifact, true), {
        chunkBytes: fault.afterBytes,
        pace: () => Promise.race([fault.until, aborted]),
      });
    }
    case 'reset':
    case 'close':
    case 'stall':
      return sendPartial(exchange, planResponse(req, artifact, true), fault.kind, fault.afterBytes);
  }
}

/**
 * The normal answer to a request. Range applies only to GET (RFC 9110 §14.2); If-Range is
 * evaluated first and a failed match means the full 200 (§13.1.5); a single satisfiable range
 * gets 206 with Content-Range (§14.4); an unsatisfiable one gets 416 `bytes *\/size` (§15.5.17).
 * A malformed or multi-part Range is ignored, which §14.2 allows.
 */
function planResponse(req: IncomingMessage, artifact: Artifact, honourRange: boolean): Plan {
  const size = artifact.body.length;
  const validators: Record<string, string> = {};
  if (artifact.etag !== null) validators.etag = artifact.etag;
  if (artifact.lastModified !== null) validators['last-modified'] = artifact.lastModified;
  const common = {
    ...validators,
    'accept-ranges': 'bytes',
    'content-type': 'application/java-archive',
  };
  const full: Plan = {
    status: 200,
    headers: { ...common, 'content-length': String(size) },
    body: artifact.body,
  };
  if (!honourRange) return full;
  if (notModified(req.headers, artifact))
    return { status: 304, headers: validators, body: Buffer.alloc(0) };
  if (req.method !== 'GET') return full;
  const range = parseRange(req.headers.range, size);
  // Node joins a repeated unknown header into one string, so this is never really an array.
  const ifRange = req.headers['if-range']?.toString();
  if (range === undefined || !ifRangeMatches(ifRange, artifact)) return full;
  if (range === 'unsatisfiable') {
    return {
      status: 416,
      headers: { ...validators, 'content-range': `bytes */${size}`, 'content-length': '0' },
      body: Buffer.alloc(0),
    };
  }
  const body = artifact.body.subarray(range.start, range.end + 1);
  return {
    status: 206,
    headers: {
      ...common,
      'content-range': `bytes ${range.start}-${range.end}/${size}`,
      'content-length': String(body.length),
    },
    body,
  };
}

/**
 * RFC 9110 §13.2.2, before Range: If-None-Match by weak comparison (a list, or `*`);
 * If-Modified-Since only without it, true when Last-Modified is not later.
 */
function notModified(headers: IncomingHttpHeaders, artifact: Artifact): boolean {
  const ifNoneMatch = headers['if-none-match'];
  const opaque = (tag: string) => tag.replace(/^W\//, '');
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() === '*') return true;
    const tags = ifNoneMatch.match(/(?:W\/)?"[^"]*"/g) ?? [];
    return (
      artifact.etag !== null && tags.some((tag) => opaque(tag) === opaque(artifact.etag ?? ''))
    );
  }
  const since = Date.parse(headers['if-modified-since'] ?? '');
  const modified = Date.parse(artifact.lastModified ?? '');
  return !Number.isNaN(since) && !Number.isNaN(modified) && modified <= since;
}

type ByteRange = { start: number; end: number };

/** The first byte of a `bytes=N-...` Range header, or undefined. */
function rangeStartOf(header: string | undefined): number | undefined {
  const match = header === undefined ? null : /^bytes=(\d+)-/.exec(header.trim());
  return match ? Number(match[1]) : undefined;
}

function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '') {
    if (last === '') return undefined;
    const suffixBytes = Number(last);
    if (suffixBytes === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffixBytes), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? Number.POSITIVE_INFINITY : Number(last);
  if (end < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

/** RFC 9110 §13.1.5: an entity-tag must match strongly; a date must equal Last-Modified exactly. */
function ifRangeMatches(ifRange: string | undefined, artifact: Artifact): boolean {
  if (ifRange === undefined) return true;
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) {
    const { etag } = artifact;
    return etag !== null && !etag.startsWith('W/') && ifRange === etag;
  }
  return artifact.lastModified !== null && ifRange === artifact.lastModified;
}

/** Moves a 206 answer `wrongRangeSkewBytes` away from what was asked; other answers pass through. */
function skewRange(plan: Plan, artifact: Artifact): Plan {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(plan.headers['content-range'] ?? '');
  if (plan.status !== 206 || !match) return plan;
  const start = Number(match[1]);
  const end = Number(match[2]);
  const size = artifact.body.length;
  const skewed =
    start + wrongRangeSkewBytes < size
      ? start + wrongRangeSkewBytes
      : Math.max(0, start - wrongRangeSkewBytes);
  const skewedEnd = Math.min(size - 1, end + (skewed - start));
  const body = artifact.body.subarray(skewed, skewedEnd + 1);
  return {
    ...plan,
    headers: {
      ...plan.headers,
      'content-range': `bytes ${skewed}-${skewedEnd}/${size}`,
      'content-length': String(body.length),
    },
    body,
  };
}

/** Writes the whole body in chunks, waiting for 'drain' (backpressure) and `pace` between chunks. */
async function sendBody(
  exchange: Exchange,
  plan: Plan,
  options: { chunkBytes?: number; pace?: () => Promise<unknown> } = {},
): Promise<void> {
  const { req, res, record, signal } = exchange;
  res.writeHead(plan.status, plan.headers);
  record.status = plan.status;
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const step = options.chunkBytes ?? chunkBytes;
  for (let offset = 0; offset < plan.body.length; offset += step) {
    if (offset > 0 && options.pace) await options.pace();
    if (res.destroyed) return;
    const chunk = plan.body.subarray(offset, offset + step);
    record.bytesSent += chunk.length;
    if (!res.write(chunk)) await once(res, 'drain', { signal });
  }
  res.end();
}

/** Sends the headers and the first `afterBytes` of the body, flushed, then resets, closes or stalls. */
async function sendPartial(
  exchange: Exchange,
  plan: Plan,
  ending: 'reset' | 'close' | 'stall',
  afterBytes: number,
): Promise<void> {
  const { req, res, record, signal } = exchange;
  if (req.method === 'HEAD' || plan.status === 416 || plan.status === 304)
    return sendBody(exchange, plan);
  res.writeHead(plan.status, plan.headers);
  record.status = plan.status;
  res.flushHeaders();
  const chunk = plan.body.subarray(0, afterBytes);
  record.bytesSent += chunk.length;
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    res.write(chunk, () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
  const socket = res.socket;
  if (ending === 'stall' || socket === null) return; // never ends: close() or the client will
  exchange.cutByServer = true;
  if (ending === 'close') {
    socket.end();
    return;
  }
  await sleep(settleBeforeResetMs, undefined, { signal });
  socket.resetAndDestroy();
}
