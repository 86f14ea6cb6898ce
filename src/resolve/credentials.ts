/**
 * Registry credentials from a Docker `config.json`: exactly what a Kubernetes
 * `kubernetes.io/dockerconfigjson` Secret holds (its `.dockerconfigjson` key
 * mounted as a file). An `auths` entry holds `auth` (base64 of user:password,
 * which wins over separate fields, as in docker), `username` and `password`,
 * and/or `identitytoken` (an OAuth2 refresh token, which then wins). Every
 * secret value is handed to the redactor as the file is read, whether or not
 * it is used, and no error shows any part of the file's content.
 *
 * Keys are matched as docker matches them: `https://host/v1/`, `http://host`
 * and `host` all mean `host`; Docker Hub's names are one registry.
 * `credsStore` and `credHelpers` name programs the loader's image does not
 * have: a registry they alone cover gets no credentials and a note saying so;
 * inline credentials under `auths` are used even where docker would ask a
 * helper first, since a mounted Secret can hold nothing else.
 */
import { ConfigError } from '../errors.ts';
import type { Redactor } from '../log/redact.ts';
import { dockerHubHosts } from './registry-endpoint.ts';

export type RegistryCredentials =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'identity-token'; readonly username: string; readonly identityToken: string };

interface Entry {
  readonly key: string;
  readonly credentials: RegistryCredentials | undefined;
  readonly registryTokenOnly: boolean;
}

export interface AuthFile {
  /** Where the file came from, as errors and notes name it: the setting or variable, then the path. */
  readonly source: string;
  /** Entries by normalised host; several keys may normalise to one host. */
  readonly entries: ReadonlyMap<string, readonly Entry[]>;
  readonly credsStore: string | undefined;
  readonly credHelpers: ReadonlyMap<string, string>;
}

export type CredentialsLookup =
  | { readonly found: true; readonly credentials: RegistryCredentials; readonly key: string }
  /** `note` says why a registry the file mentions gets no credentials. */
  | { readonly found: false; readonly note: string | undefined };

/** The credentials for `registry` (host[:port] as a reference names it), or why there are none. */
export function credentialsFor(file: AuthFile, registry: string): CredentialsLookup {
  const host = hostOfKey(registry);
  const usable = (file.entries.get(host) ?? []).filter((entry) => entry.credentials !== undefined);
  const distinct = new Set(usable.map((entry) => JSON.stringify(entry.credentials)));
  // Docker prefers the key written exactly as the registry; several differing others are ambiguous.
  const chosen =
    usable.find((entry) => entry.key === registry) ?? (distinct.size === 1 ? usable[0] : undefined);
  if (chosen?.credentials !== undefined) {
    return { found: true, credentials: chosen.credentials, key: chosen.key };
  }
  if (usable.length > 1) {
    throw new ConfigError(
      `${file.source}: the auths entries ${usable.map((entry) => JSON.stringify(entry.key)).join(', ')} all name ${registry} with different credentials; keep one`,
    );
  }
  return { found: false, note: whyNone(file, registry, host) };
}

function whyNone(file: AuthFile, registry: string, host: string): string | undefined {
  const helper = file.credHelpers.get(host);
  const cannotRun = `which cannot run in the loader's image: put the credentials under "auths" (as a kubernetes.io/dockerconfigjson Secret holds them)`;
  if (helper !== undefined) {
    return `${file.source} names the credential helper docker-credential-${helper} for ${registry}, ${cannotRun}`;
  }
  const entries = file.entries.get(host) ?? [];
  if (entries.some((entry) => entry.registryTokenOnly)) {
    return `${file.source} has only a "registrytoken" for ${registry}, which the loader does not use: give "auth", "username" and "password", or "identitytoken"`;
  }
  if (file.credsStore !== undefined) {
    return `${file.source} may keep the credentials for ${registry} in the store docker-credential-${file.credsStore}, ${cannotRun}`;
  }
  return undefined;
}

/** A config.json is a few kilobytes; a Kubernetes Secret holds at most 1 MiB. */
export const maxAuthFileBytes = 1024 * 1024;

/** Parses config.json text; throws ConfigError naming `source`, never the content. */
export function parseAuthFile(text: string, source: string, redactor: Redactor): AuthFile {
  const bytes = Buffer.byteLength(text);
  if (bytes > maxAuthFileBytes) {
    throw new ConfigError(
      `${source} is ${bytes} bytes, too large for a Docker config.json (at most ${maxAuthFileBytes})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error: it may be a password.
    throw new ConfigError(
      `${source} is not valid JSON; expected a Docker config.json such as {"auths":{"ghcr.io":{"auth":"…"}}} (contents not shown)`,
    );
  }
  if (!isObject(parsed)) throw new ConfigError(`${source}: expected a JSON object with "auths"`);
  const { auths, credsStore, credHelpers } = parsed;
  if (
    auths === undefined &&
    credsStore === undefined &&
    credHelpers === undefined &&
    looksLegacy(parsed)
  ) {
    throw new ConfigError(
      `${source} is in the old .dockercfg format (hosts at the top level); expected {"auths": {…}} as in a kubernetes.io/dockerconfigjson Secret`,
    );
  }
  const entries = new Map<string, Entry[]>();
  if (auths !== undefined) {
    if (!isObject(auths))
      throw new ConfigError(`${source}: expected "auths" to be an object of registries`);
    for (const [key, value] of Object.entries(auths)) {
      const entry = parseEntry(key, value, source, redactor);
      const host = hostOfKey(key);
      entries.set(host, [...(entries.get(host) ?? []), entry]);
    }
  }
  if (credsStore !== undefined && typeof credsStore !== 'string') {
    throw new ConfigError(`${source}: expected "credsStore" to be a string`);
  }
  const helpers = new Map<string, string>();
  if (credHelpers !== undefined) {
    if (!isObject(credHelpers))
      throw new ConfigError(`${source}: expected "credHelpers" to be an object`);
    for (const [key, helper] of Object.entries(credHelpers)) {
      if (typeof helper !== 'string')
        throw new ConfigError(
          `${source}: expected the credHelpers value for ${JSON.stringify(key)} to be a string`,
        );
      helpers.set(hostOfKey(key), helper);
    }
  }
  return {
    source,
    entries,
    credsStore: credsStore === '' ? undefined : credsStore,
    credHelpers: helpers,
  };
}

function parseEntry(key: string, value: unknown, source: string, redactor: Redactor): Entry {
  const where = `${source}: the auths entry ${JSON.stringify(key)}`;
  if (!isObject(value)) throw new ConfigError(`${where} is not an object`);
  const field = (name: string, secret: boolean): string => {
    const raw = value[name];
    if (raw === undefined || raw === null) return '';
    if (typeof raw !== 'string')
      throw new ConfigError(`${where} has a "${name}" that is not a string`);
    if (secret && raw !== '') redactor.addSecret(raw);
    return raw;
  };
  const auth = field('auth', true);
  let username = field('username', false);
  let password = field('password', true);
  const identityToken = field('identitytoken', true);
  const registryToken = field('registrytoken', true);
  if (auth !== '') [username, password] = decodeAuth(auth, where);
  if (password !== '') {
    redactor.addSecret(password);
    // As sent in an Authorization: Basic header, which a server may echo.
    redactor.addSecret(Buffer.from(`${username}:${password}`).toString('base64'));
  }
  const credentials: RegistryCredentials | undefined =
    identityToken !== ''
      ? { kind: 'identity-token', username, identityToken }
      : username !== '' || password !== ''
        ? { kind: 'basic', username, password }
        : undefined;
  return { key, credentials, registryTokenOnly: credentials === undefined && registryToken !== '' };
}

/** `auth`: standard base64 (padding optional) of `user:password`, split at the first colon. */
function decodeAuth(auth: string, where: string): [string, string] {
  const malformed = `${where} has an "auth" value that is not the base64 of user:password (not shown)`;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(auth) || auth.replace(/=+$/, '').length % 4 === 1) {
    throw new ConfigError(malformed);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(auth, 'base64'));
  } catch {
    throw new ConfigError(malformed);
  }
  const colon = text.indexOf(':');
  if (colon < 0) throw new ConfigError(malformed);
  return [text.slice(0, colon), text.slice(colon + 1)];
}

/** `https://Host:5000/v1/`, `http://host:5000`, `host:5000/path` → `host:5000`; Docker Hub's names → `docker.io`. */
export function hostOfKey(key: string): string {
  let host = key.includes('://') && URL.canParse(key) ? new URL(key).host : '';
  if (host === '') host = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('/')[0] ?? '';
  host = host.toLowerCase();
  return dockerHubHosts.has(host) ? 'docker.io' : host;
}

function looksLegacy(parsed: Record<string, unknown>): boolean {
  const values = Object.values(parsed);
  return values.length > 0 && values.every((value) => isObject(value) && 'auth' in value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
