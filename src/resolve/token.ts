/**
 * The distribution token flow (docs/spec/auth/token.md and oauth.md): a 401
 * with a Bearer challenge names a token service (`realm`), the `service` and
 * the `scope`; the loader asks that service for a token and sends it as
 * `Authorization: Bearer`. Without credentials it asks anonymously (GET);
 * with a user name and password it sends them as Basic (GET); with an
 * identity token (an OAuth2 refresh token) it POSTs the `refresh_token`
 * grant, as docker does.
 *
 * The realm may be on another host than the registry (auth.docker.io for
 * Docker Hub): the spec makes the registry, not the client, choose where
 * credentials go, so whoever is trusted with them as a registry is trusted
 * to name its token service. They never go over plain HTTP unless the
 * registry itself is in the plain-HTTP list.
 */
import { FetchError, RejectedError } from '../errors.ts';
import type { Redactor } from '../log/redact.ts';
import { redactUrl } from '../urls/shown.ts';
import type { Challenge } from './challenge.ts';
import type { RegistryCredentials } from './credentials.ts';

/** How the token service sees the loader (oauth.md: "client_id … for auditing"). */
export const tokenClientId = 'runtime-loader';
/** A token response is a few kilobytes; more is not one. */
export const maxTokenResponseBytes = 1024 * 1024;
/** token.md: expires_in defaults to 60 s, and no token lives shorter. */
const minimumTokenSeconds = 60;

export interface TokenRequest {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** The form of a POST (application/x-www-form-urlencoded); it holds the refresh token. */
  readonly body: string | undefined;
}

/** What a token is asked for: a pull of `repository`, by these credentials or anonymously. */
export interface TokenPull {
  readonly repository: string;
  readonly credentials: RegistryCredentials | undefined;
  /** The registry is in the plain-HTTP list: only then may its token service be http://. */
  readonly registryIsPlainHttp: boolean;
  /** How errors name that list's setting. */
  readonly plainHttpSetting: string;
}

export interface Token {
  readonly token: string;
  /** Counted from when the response arrived (issued_at is not trusted: clocks differ). */
  readonly expiresInSeconds: number;
}

/**
 * The request for a token that answers `challenge` (a Bearer one) for the
 * pull. Throws RejectedError for a realm the credentials must not go to.
 */
export function tokenRequest(challenge: Challenge, pull: TokenPull): TokenRequest {
  const { repository, credentials } = pull;
  const realm = realmOf(challenge, pull);
  const service = challenge.params.get('service');
  const scopes = (challenge.params.get('scope') ?? `repository:${repository}:pull`)
    .split(' ')
    .filter((scope) => scope !== '');
  if (credentials?.kind === 'identity-token') {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: credentials.identityToken,
    });
    if (service !== undefined) form.set('service', service);
    form.set('client_id', tokenClientId);
    form.set('scope', scopes.join(' '));
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    return { method: 'POST', url: realm, headers, body: form.toString() };
  }
  const url = new URL(realm);
  if (service !== undefined) url.searchParams.append('service', service);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  const headers: Record<string, string> =
    credentials === undefined ? {} : { authorization: basicAuthorization(credentials) };
  return { method: 'GET', url, headers, body: undefined };
}

/** `Basic base64(user:password)`, for a Basic challenge or a token request. */
export function basicAuthorization(credentials: RegistryCredentials): string {
  if (credentials.kind !== 'basic') {
    throw new RejectedError(
      'the registry asks for Basic authentication, but the auth file holds an identitytoken for it, which only a Bearer token service accepts: give "auth" or "username" and "password"',
    );
  }
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

function realmOf(challenge: Challenge, pull: TokenPull): URL {
  const raw = challenge.params.get('realm');
  if (raw === undefined || !URL.canParse(raw)) {
    throw new RejectedError(
      `the registry's Bearer challenge ${raw === undefined ? 'has no realm' : 'has a realm that is not a URL'}; expected realm="https://…" naming its token service`,
    );
  }
  const realm = new URL(raw);
  const where = redactUrl(realm);
  if (realm.username !== '' || realm.password !== '') {
    throw new RejectedError(
      `the registry's token service ${where} has a user name or password in its URL; refusing to use it`,
    );
  }
  if (realm.protocol === 'https:' || (realm.protocol === 'http:' && pull.registryIsPlainHttp))
    return realm;
  throw new RejectedError(
    realm.protocol === 'http:'
      ? `the registry names the token service ${where} over plain HTTP; credentials and tokens go over HTTPS unless the registry itself is in ${pull.plainHttpSetting}`
      : `the registry names the token service ${where}; expected an https:// URL`,
  );
}

/**
 * The token in the token service's answer: `token`, or `access_token` (its
 * OAuth2 name; `token` counts when both differ). Every token in it, a
 * `refresh_token` too, goes to the redactor before anything else is done.
 */
export function parseTokenResponse(body: Uint8Array, realm: URL, redactor: Redactor): Token {
  const where = `the token service ${redactUrl(realm)}`;
  if (body.byteLength > maxTokenResponseBytes) {
    throw new FetchError(
      `${where} answered with ${body.byteLength} bytes, too large for a token (at most ${maxTokenResponseBytes})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new FetchError(`${where} answered with a body that is not JSON; expected {"token": …}`);
  }
  const fields =
    typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const strings = ['token', 'access_token', 'refresh_token'].map((name) => fields[name]);
  for (const value of strings)
    if (typeof value === 'string' && value !== '') redactor.addSecret(value);
  const [token, accessToken] = strings;
  const chosen = typeof token === 'string' && token !== '' ? token : accessToken;
  if (typeof chosen !== 'string' || chosen === '') {
    throw new FetchError(
      `${where} answered without a token; expected JSON with "token" or "access_token"`,
    );
  }
  const expiresIn = fields.expires_in;
  const expiresInSeconds =
    typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > minimumTokenSeconds
      ? Math.floor(expiresIn)
      : minimumTokenSeconds;
  return { token: chosen, expiresInSeconds };
}
