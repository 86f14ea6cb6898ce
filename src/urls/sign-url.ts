import { queryParameter } from './canonical.ts';
import { type Secret, type SigningKey, signatureBytes, signingKey } from './keys.ts';

/** The options of `signUrl` that can be refused. */
export type SignUrlOption = 'baseUrl' | 'path' | 'secret' | 'expiresAt' | 'ttlSeconds';

/**
 * A `signUrl` option that would make a bad URL. `option` names the option and
 * `problem` says what is wrong with it, apart, so a caller that takes the option
 * from somewhere else (the `sign` command's flags) can name that instead.
 */
export class SignUrlError extends TypeError {
  readonly option: SignUrlOption;
  readonly problem: string;

  constructor(option: SignUrlOption, problem: string, options?: { cause?: unknown }) {
    super(`${option} ${problem}`, options);
    this.name = 'SignUrlError';
    this.option = option;
    this.problem = problem;
  }
}

interface SignUrlCommon {
  /** Origin the URL points at, e.g. `https://artifacts.example.com` (no path, query or credentials). */
  readonly baseUrl: string | URL;
  /** Path of the file under the server's folder, starting with "/", e.g. `/app.jar`. */
  readonly path: string;
  /** The signing secret: the first line of the server's secret file. */
  readonly secret: Secret;
  /** The current time; defaults to the clock. */
  readonly now?: Date;
}

export type SignUrlOptions = SignUrlCommon &
  (
    | { readonly ttlSeconds: number; readonly expiresAt?: never }
    | { readonly expiresAt: Date; readonly ttlSeconds?: never }
  );

/** Returns `baseUrl` + `path` with an expiring signature in its query string. */
export function signUrl(options: SignUrlOptions): string {
  const origin = originOf(options.baseUrl);
  const url = new URL(origin);
  url.pathname = checkedPath(options.path);
  const expiresUnixSeconds = expiryOf(options);
  const key = keyOf(options.secret);
  const signature = signatureBytes(key, { path: url.pathname, expiresUnixSeconds });
  url.search = new URLSearchParams([
    [queryParameter.expires, String(expiresUnixSeconds)],
    [queryParameter.keyId, key.id],
    [queryParameter.signature, signature.toString('base64url')],
  ]).toString();
  return url.href;
}

function originOf(baseUrl: string | URL): string {
  const url = typeof baseUrl === 'string' ? URL.parse(baseUrl) : baseUrl;
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new SignUrlError(
      'baseUrl',
      `must be an http(s) origin such as https://artifacts.example.com, got ${JSON.stringify(String(baseUrl).slice(0, 80))}`,
    );
  }
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/') {
    throw new SignUrlError(
      'baseUrl',
      'must be an origin only (scheme, host, port): no path (the file has an option of its own), credentials, query or fragment',
    );
  }
  return url.origin;
}

/** Refuses what a server would refuse anyway, so a bad path fails here and not at download time. */
function checkedPath(path: string): string {
  if (!path.startsWith('/'))
    throw new SignUrlError('path', `must start with "/", got ${JSON.stringify(path.slice(0, 80))}`);
  if (/[?#\\\0]/.test(path))
    throw new SignUrlError('path', 'must not contain "?", "#", "\\" or NUL');
  const segments = path.split('/');
  if (segments.some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) {
    throw new SignUrlError('path', 'must not contain "." or ".." segments');
  }
  return path;
}

function expiryOf(options: SignUrlOptions): number {
  const nowMs = (options.now ?? new Date()).getTime();
  if (options.expiresAt !== undefined) {
    const atMs = options.expiresAt.getTime();
    if (Number.isNaN(atMs)) throw new SignUrlError('expiresAt', 'is an invalid Date');
    return Math.floor(atMs / 1000);
  }
  const { ttlSeconds } = options;
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new SignUrlError('ttlSeconds', `must be a positive number, got ${ttlSeconds}`);
  }
  return Math.floor(nowMs / 1000 + ttlSeconds);
}

/** The signing key, or a SignUrlError naming the `secret` option when it is too short. */
function keyOf(secret: Secret): SigningKey {
  try {
    return signingKey(secret);
  } catch (error) {
    throw new SignUrlError('secret', `is not usable: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
