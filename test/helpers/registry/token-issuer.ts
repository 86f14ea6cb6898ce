// A token server of our own for a registry in token-auth mode, after the Distribution
// token spec (https://distribution.github.io/distribution/spec/auth/token/ and .../jwt/):
// GET /token?service=…&scope=repository:NAME:pull,push with optional Basic credentials
// answers {token, access_token, expires_in, issued_at}, or 401 for wrong credentials.
//
// What Distribution 2.8 checks (registry/auth/token/token.go Verify and accesscontroller.go):
// iss equals auth.token.issuer; aud, a single string, equals auth.token.service; exp and nbf
// within 60 s of leeway; the signature, by a key found through the header's x5c (a chain
// that verifies up to a certificate in rootcertbundle), or its kid, looked up among the
// rootcertbundle certificates' keys by libtrust key ID: SHA-256 of the key's DER
// SubjectPublicKeyInfo, first 240 bits, base32, in 12 groups of 4 joined by ':'
// (libtrust util.go keyIDFromCryptoKey); ES256 signatures are r||s (JWS, RFC 7518 §3.4).
// Then every action the request needs must be in access[] for its type and name.
import { createHash, createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { serve } from '../loopback-server.ts';
import { makeTestPki, type TestPki } from '../tls.ts';
import type { Credentials } from './client.ts';

export interface Access {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenIssuerOptions {
  /** The one account. Default { username: 'tester', password: 'test-password' }. */
  credentials?: Credentials;
  /** A request without credentials gets a pull-only token instead of 401. Default false. */
  allowAnonymous?: boolean;
  /** How the token names its key: `kid` (default) or the certificate itself in `x5c`. */
  keyReference?: 'kid' | 'x5c';
  /** Default 300. */
  expiresInSeconds?: number;
}

export interface TokenRequest {
  /** Path and query as received. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Whether the request carried an Authorization header at all. */
  authorized: boolean;
  /** The Basic user name, when one was sent. */
  username: string | undefined;
  service: string | null;
  scopes: string[];
  status: number;
  /** The token answered, so tests can look for it where it must not appear. */
  token: string | undefined;
}

export interface TokenIssuer extends AsyncDisposable {
  /** For auth.token.realm and clients: `http://127.0.0.1:PORT/token`. */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM file for auth.token.rootcertbundle. */
  readonly rootCertBundle: string;
  readonly credentials: Credentials;
  readonly requests: TokenRequest[];
  /** Mints a token by hand, e.g. expired or for another audience. */
  issue(access: Access[], overrides?: Record<string, unknown>): string;
  close(): Promise<void>;
}

const service = 'registry.test';
const issuer = 'runtime-loader-test-issuer';

export async function startTokenIssuer(options: TokenIssuerOptions = {}): Promise<TokenIssuer> {
  const credentials = options.credentials ?? { username: 'tester', password: 'test-password' };
  const expiresInSeconds = options.expiresInSeconds ?? 300;
  const pki = await makeTestPki();
  try {
    const rootCertBundle = join(pki.dir, 'token-roots.pem');
    await writeFile(rootCertBundle, pki.caCert + pki.cert);
    const issue = signer(
      pki,
      options.keyReference ?? 'kid',
      credentials.username,
      expiresInSeconds,
    );
    const requests: TokenRequest[] = [];
    const server = await serve((request, response) => {
      const url = new URL(request.url ?? '/', 'http://issuer');
      const authorization = request.headers.authorization;
      const user = authorization ? decodeBasic(authorization) : undefined;
      const scopes = url.searchParams.getAll('scope').flatMap((scope) => scope.split(' '));
      const record: TokenRequest = {
        path: request.url ?? '',
        headers: request.headers,
        authorized: authorization !== undefined,
        username: user?.username,
        service: url.searchParams.get('service'),
        scopes: scopes.filter(Boolean),
        status: 401,
        token: undefined,
      };
      requests.push(record);
      const known =
        user?.username === credentials.username && user.password === credentials.password;
      if (url.pathname !== '/token' || (user ? !known : !options.allowAnonymous)) {
        response.writeHead(401, { 'www-authenticate': 'Basic realm="token issuer"' }).end();
        return;
      }
      // Grant the intersection of what was asked and what the caller may do (spec: never an error).
      const allowed = known ? ['pull', 'push', 'delete'] : ['pull'];
      const access = record.scopes.map(parseScope).map((asked) => ({
        ...asked,
        actions: asked.actions.filter((action) => allowed.includes(action)),
      }));
      record.token = issue(access, { sub: known ? credentials.username : '' });
      record.status = 200;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          token: record.token,
          access_token: record.token,
          expires_in: expiresInSeconds,
          issued_at: new Date().toISOString(),
        }),
      );
    });
    const close = async () => {
      await server[Symbol.asyncDispose]();
      await pki.cleanup();
    };
    return {
      realm: `${server.origin}/token`,
      service,
      issuer,
      rootCertBundle,
      credentials,
      requests,
      issue,
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    await pki.cleanup();
    throw error;
  }
}

/** Signs ES256 JWTs with the PKI's server key, naming it by kid or by its certificate (x5c). */
function signer(
  pki: TestPki,
  keyReference: 'kid' | 'x5c',
  subject: string,
  lifetimeSeconds: number,
) {
  const key = createPrivateKey(pki.key);
  const certificate = new X509Certificate(pki.cert);
  const keyHeader =
    keyReference === 'x5c'
      ? { x5c: [certificate.raw.toString('base64')] }
      : { kid: libtrustKeyId(certificate) };
  return (access: Access[], overrides: Record<string, unknown> = {}): string => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', ...keyHeader };
    const claims = {
      iss: issuer,
      sub: subject,
      aud: service,
      exp: nowSeconds + lifetimeSeconds,
      nbf: nowSeconds - 1,
      iat: nowSeconds,
      jti: randomUUID(),
      access,
      ...overrides,
    };
    const signed = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signed), { key, dsaEncoding: 'ieee-p1363' });
    return `${signed}.${signature.toString('base64url')}`;
  };
}

/** libtrust's key ID of a certificate's public key (see the comment at the top). */
export function libtrustKeyId(certificate: X509Certificate): string {
  const spki = certificate.publicKey.export({ type: 'spki', format: 'der' });
  const base32 = toBase32(createHash('sha256').update(spki).digest().subarray(0, 30));
  return base32.match(/.{4}/g)?.join(':') ?? '';
}

/** `repository:team/app:pull,push` → type, name, actions; the name may hold ':' (a port). */
export function parseScope(scope: string): Access {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .filter(Boolean),
  };
}

function decodeBasic(header: string): Credentials | undefined {
  const [scheme, encoded = ''] = header.split(' ');
  if (scheme?.toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString();
  const colon = decoded.indexOf(':');
  return colon === -1
    ? undefined
    : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** RFC 4648 base32, no padding (30 bytes make exactly 48 characters). */
function toBase32(bytes: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return bits > 0 ? out + alphabet[(value << (5 - bits)) & 31] : out;
}
