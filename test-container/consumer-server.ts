// The orchestrator's artifact endpoint, as its docs describe it:
// GET /api/v1/artifacts/{id}?exp=<unix seconds>&sig=<hex HMAC-SHA256 of "{id}:{exp}">,
// 401 for a bad or expired signature, 404 for an unknown id. Each artifact also
// has a behaviour, for the failure cases: answer, never answer, or stall mid-body.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Behaviour = 'serve' | 'never-answer' | 'stall-mid-body';

export interface ConsumerServer {
  readonly origin: string;
  /** Adds (or replaces) an artifact. */
  put(id: string, body: Buffer, behaviour?: Behaviour): void;
  /** A signed URL for `id`, valid for `validSeconds` (negative: already expired). */
  signedUrl(id: string, validSeconds?: number): string;
  /** Number of requests per artifact id, and how each was answered. */
  readonly answers: { id: string; status: number | 'none' | 'stalled' }[];
  /** Moves the server's clock ahead, as days passing: URLs signed before then expire. */
  passTime(seconds: number): void;
  close(): Promise<void>;
}

/** Starts the endpoint on 127.0.0.1, port 0. */
export async function startConsumerServer(): Promise<ConsumerServer> {
  const key = randomBytes(32);
  const artifacts = new Map<string, { body: Buffer; behaviour: Behaviour }>();
  const answers: ConsumerServer['answers'] = [];
  const sockets = new Set<Socket>();
  let clockAheadMs = 0;
  const sign = (id: string, exp: string) =>
    createHmac('sha256', key).update(`${id}:${exp}`).digest('hex');

  const reply = (response: ServerResponse, status: number, text: string) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: text }));
  };

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const id = /^\/api\/v1\/artifacts\/([A-Za-z0-9._-]+)$/.exec(url.pathname)?.[1];
    if (id === undefined || request.method !== 'GET') {
      answers.push({ id: url.pathname, status: 404 });
      return reply(response, 404, 'not found');
    }
    const exp = url.searchParams.get('exp') ?? '';
    const sig = Buffer.from(url.searchParams.get('sig') ?? '', 'hex');
    const expected = Buffer.from(sign(id, exp), 'hex');
    const valid =
      /^[0-9]+$/.test(exp) &&
      sig.length === expected.length &&
      timingSafeEqual(sig, expected) &&
      Number(exp) * 1000 > Date.now() + clockAheadMs;
    if (!valid) {
      answers.push({ id, status: 401 });
      return reply(response, 401, 'invalid or expired signature');
    }
    const artifact = artifacts.get(id);
    if (artifact === undefined) {
      answers.push({ id, status: 404 });
      return reply(response, 404, `no artifact ${id}`);
    }
    if (artifact.behaviour === 'never-answer') {
      answers.push({ id, status: 'none' });
      return; // the connection stays open; close() destroys it
    }
    const headers = {
      'content-type': 'application/java-archive',
      'content-length': String(artifact.body.length),
    };
    if (artifact.behaviour === 'stall-mid-body') {
      answers.push({ id, status: 'stalled' });
      response.writeHead(200, headers);
      response.write(artifact.body.subarray(0, Math.floor(artifact.body.length / 2)));
      return; // half the body, then silence
    }
    answers.push({ id, status: 200 });
    response.writeHead(200, headers);
    response.end(artifact.body);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    answers,
    passTime: (seconds) => {
      clockAheadMs += seconds * 1000;
    },
    put: (id, body, behaviour = 'serve') => artifacts.set(id, { body, behaviour }),
    signedUrl: (id, validSeconds = 300) => {
      const exp = String(Math.floor(Date.now() / 1000) + validSeconds);
      return `${origin}/api/v1/artifacts/${id}?exp=${exp}&sig=${sign(id, exp)}`;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback URL on which nothing listens: a port taken, then given back. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/api/v1/artifacts/app?exp=1&sig=00`;
}
