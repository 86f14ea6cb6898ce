// One registry request the way docker answers a challenge: send it, and on a 401
// send it again with Basic credentials, or with a Bearer token fetched from the
// challenge's realm (Distribution token spec, "How to authenticate":
// https://distribution.github.io/distribution/spec/auth/token/). node:http only.
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';

export interface Credentials {
  username: string;
  password: string;
}

/** Where a registry answers: its origin, and the CA that signed its certificate when https. */
export type RegistryTarget = string | { origin: string; caCert?: string | undefined };

export interface Exchange {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RegistryRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Used for Basic, or sent to the token realm; without them a challenge goes unanswered. */
  credentials?: Credentials | undefined;
  /** The scope to ask the realm for; default: the challenge's own scope. */
  scope?: string;
}

export function originOf(target: RegistryTarget): { origin: string; caCert: string | undefined } {
  return typeof target === 'string'
    ? { origin: target, caCert: undefined }
    : { origin: target.origin, caCert: target.caCert };
}

/** `path` (or an absolute URL) on the registry, answering one auth challenge if there is one. */
export async function registryRequest(
  target: RegistryTarget,
  path: string,
  request: RegistryRequest = {},
): Promise<Exchange> {
  const { origin, caCert } = originOf(target);
  const url = new URL(path, origin);
  const send = (authorization?: string) =>
    exchange(url, {
      method: request.method ?? 'GET',
      headers: { ...request.headers, ...(authorization ? { authorization } : {}) },
      body: request.body,
      caCert,
    });
  const first = await send();
  const challenge = first.headers['www-authenticate'];
  if (first.status !== 401 || !challenge) return first;
  const { scheme, params } = parseChallenge(challenge);
  if (scheme === 'basic' && request.credentials) return send(basic(request.credentials));
  if (scheme !== 'bearer' || !params.realm) return first;
  const scope = request.scope ?? params.scope;
  const token = await fetchToken(params.realm, params.service, scope ? [scope] : [], {
    credentials: request.credentials,
    caCert,
  });
  return send(`Bearer ${token}`);
}

/** GET realm?service=…&scope=… with Basic credentials when given; the token, or an error. */
export async function fetchToken(
  realm: string,
  service: string | undefined,
  scopes: string[],
  options: { credentials?: Credentials | undefined; caCert?: string | undefined } = {},
): Promise<string> {
  const url = new URL(realm);
  if (service !== undefined) url.searchParams.set('service', service);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  const answer = await exchange(url, {
    method: 'GET',
    headers: options.credentials ? { authorization: basic(options.credentials) } : {},
    caCert: options.caCert,
  });
  if (answer.status !== 200) throw new Error(`token realm ${realm} answered ${answer.status}`);
  const json = JSON.parse(answer.body.toString()) as { token?: string; access_token?: string };
  const token = json.token ?? json.access_token;
  if (!token) throw new Error(`token realm ${realm} answered without a token`);
  return token;
}

export function basic({ username, password }: Credentials): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** `Bearer realm="…",service="…",scope="…"` → scheme 'bearer' and its parameters (RFC 9110 §11.6.1). */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const [scheme = '', ...rest] = header.trim().split(' ');
  const params: Record<string, string> = {};
  for (const match of rest.join(' ').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) {
    const [, key = '', value = ''] = match;
    params[key] = value;
  }
  return { scheme: scheme.toLowerCase(), params };
}

/** One request on a fresh connection (no pooled socket outlives the test). */
export function exchange(
  url: URL,
  options: {
    method: string;
    headers: Record<string, string>;
    body?: Buffer | undefined;
    caCert?: string | undefined;
  },
): Promise<Exchange> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: options.method,
        headers: {
          ...options.headers,
          ...(options.body ? { 'content-length': String(options.body.length) } : {}),
        },
        agent: false,
        ...(options.caCert === undefined ? {} : { ca: options.caCert }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
