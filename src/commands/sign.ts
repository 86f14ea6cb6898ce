import { realpath } from 'node:fs/promises';
import { ConfigError, ExitCode } from '../errors.ts';
import { openPublishedFile, pathSegments } from '../serve/request-path.ts';
import { signUrl } from '../signing/sign-url.ts';
import { SignUrlError, type SignUrlOption } from '../signing/sign-url-error.ts';
import { parseDurationSeconds, parseFlags, requiredString } from './args.ts';
import { envFileLines, shellLines } from './env-lines.ts';
import { defaultServiceAccountDir, patchSecret, readInClusterApi } from './k8s-apply.ts';
import { checkSecretName, secretManifest } from './k8s-secret.ts';
import { readSecretFile } from './secret-file.ts';
import type { ToolIo } from './tool-io.ts';

export const signHelp = `Usage: runtime-loader sign --base-url URL --path PATH --secret-file FILE [flags]

Prints a signed, expiring URL for PATH on the server at URL. The output is a
credential: whoever holds it can download the file until it expires.

  --base-url URL        the server's origin, e.g. http://127.0.0.1:8080 (required)
  --path PATH           the file under the served folder, e.g. /app.jar (required)
  --secret-file FILE    the server's secret file; its first secret signs (required)
  --ttl DURATION        valid for this long: 90s, 15m, 2h, at most 7d [default: 15m]
  --expires-at TIME     or until this ISO 8601 time (a past time makes an expired URL, for tests)
  --env                 print ARTIFACT_URL=... and ARTIFACT_EXPECTED_SIZE=... lines for
                        \`docker run --env-file\` (or podman's): unquoted, as env files take
                        values literally. Not for a shell: the URL's "&" would split it there
  --shell               print the same as export ARTIFACT_URL='...' lines for a POSIX shell
                        (\`. FILE\`, or eval "$(runtime-loader sign ... --shell)"); not for
                        --env-file, which would keep the quotes. Both take the size from
                        --dir or --size
  --dir DIR             the served folder, to read the file's size
  --size BYTES          the file's size, when the folder is not at hand
  --k8s-secret NAME     print a Kubernetes Secret manifest NAME instead, for \`kubectl apply -f -\`:
                        key \`url\` (for ARTIFACT_URL_FILE), and \`size\` with --dir or --size
  --k8s-apply           with --k8s-secret, inside a pod: patch that existing Secret through the
                        API server with the pod's service-account token, instead of printing it
  --k8s-serviceaccount-dir DIR  token, ca.crt and namespace for --k8s-apply
                        [default: /var/run/secrets/kubernetes.io/serviceaccount]
`;

const maxTtlSeconds = 7 * 86_400;

/** The flag each option of signUrl comes from, so a refused option is reported as its flag. */
const flagOf: Record<SignUrlOption, string> = {
  baseUrl: '--base-url',
  path: '--path',
  secret: '--secret-file',
  expiresAt: '--expires-at',
  ttlSeconds: '--ttl',
};

/** `runtime-loader sign`: one signed URL on stdout, or two variable lines with --env or --shell. */
export async function runSign(args: readonly string[], io: ToolIo): Promise<number> {
  const flags = parseFlags('sign', args, {
    'base-url': { type: 'string' },
    path: { type: 'string' },
    'secret-file': { type: 'string' },
    ttl: { type: 'string' },
    'expires-at': { type: 'string' },
    env: { type: 'boolean' },
    shell: { type: 'boolean' },
    dir: { type: 'string' },
    size: { type: 'string' },
    'k8s-secret': { type: 'string' },
    'k8s-apply': { type: 'boolean' },
    'k8s-serviceaccount-dir': { type: 'string' },
  });
  if (flags.help === true) {
    io.stdout(signHelp);
    return ExitCode.ok;
  }
  const baseUrl = requiredString(flags, 'base-url', 'sign');
  const path = requiredString(flags, 'path', 'sign');
  const secretPath = requiredString(flags, 'secret-file', 'sign');
  if (flags.ttl !== undefined && flags['expires-at'] !== undefined) {
    throw new ConfigError('give --ttl or --expires-at, not both');
  }
  if (flags.env === true && flags.shell === true) {
    throw new ConfigError('give --env (for --env-file) or --shell (for a shell), not both');
  }
  const variableLines =
    flags.env === true ? envFileLines : flags.shell === true ? shellLines : undefined;
  const expiry = expiryOf(flags['expires-at'], flags.ttl);
  // The server's own rules (no hidden or empty segments): refuse a URL that could never work.
  const segments = pathSegments(wirePath(path));
  if (!Array.isArray(segments)) {
    throw new ConfigError(
      `--path ${JSON.stringify(path.slice(0, 80))} can never be served: ${segments.status === 400 ? segments.reason : 'the server refuses empty, hidden ("."-first), "." and ".." segments and encoded "/" or "\\"'}`,
    );
  }
  const secretName = flags['k8s-secret'];
  if (secretName !== undefined && variableLines !== undefined) {
    throw new ConfigError('give --env, --shell or --k8s-secret, not more than one');
  }
  if (typeof secretName === 'string') checkSecretName(secretName);
  if (flags['k8s-apply'] === true && typeof secretName !== 'string') {
    throw new ConfigError('--k8s-apply needs --k8s-secret NAME: the Secret to patch');
  }
  // Read before signing, so a pod without its token fails before a URL exists.
  const cluster =
    flags['k8s-apply'] === true
      ? await readInClusterApi(
          io.env,
          String(flags['k8s-serviceaccount-dir'] ?? defaultServiceAccountDir),
        )
      : undefined;
  const sizeKnown = flags.dir !== undefined || flags.size !== undefined;
  const sizeBytes =
    variableLines !== undefined || (secretName !== undefined && sizeKnown)
      ? await sizeOf(flags.dir, flags.size, path)
      : undefined;
  const { keys, tooOpen } = await readSecretFile(secretPath);
  if (tooOpen)
    io.stderr(
      `runtime-loader sign: warning: ${secretPath} is readable by group or others; chmod 600 it\n`,
    );

  let url: string;
  try {
    url = signUrl({ baseUrl, path, secret: keys[0].secretBytes, ...expiry });
  } catch (error) {
    if (!(error instanceof SignUrlError)) throw error;
    throw new ConfigError(`${flagOf[error.option]} ${error.problem}`, { cause: error });
  }
  if (typeof secretName === 'string' && cluster !== undefined) {
    const where = await patchSecret(cluster, secretName, url, sizeBytes, io.signal);
    io.stdout(`patched ${where}: a new URL${sizeBytes === undefined ? '' : ' and size'}\n`);
    return ExitCode.ok;
  }
  if (typeof secretName === 'string') {
    io.stdout(secretManifest(secretName, url, sizeBytes));
    return ExitCode.ok;
  }
  io.stdout(
    variableLines === undefined || sizeBytes === undefined
      ? `${url}\n`
      : variableLines({ ARTIFACT_URL: url, ARTIFACT_EXPECTED_SIZE: String(sizeBytes) }),
  );
  return ExitCode.ok;
}

function expiryOf(
  expiresAt: string | boolean | undefined,
  ttl: string | boolean | undefined,
): { expiresAt: Date } | { ttlSeconds: number } {
  if (typeof expiresAt === 'string') {
    const at = new Date(expiresAt);
    if (!/^[0-9]{4}-/.test(expiresAt) || Number.isNaN(at.getTime())) {
      throw new ConfigError(
        `--expires-at: expected an ISO 8601 time such as 2026-01-31T12:00:00Z, got ${JSON.stringify(expiresAt.slice(0, 40))}`,
      );
    }
    if (at.getTime() - Date.now() > maxTtlSeconds * 1000) {
      throw new ConfigError(
        '--expires-at: at most 7d from now; a signed URL is a credential, keep it short-lived',
      );
    }
    return { expiresAt: at };
  }
  const ttlSeconds = typeof ttl === 'string' ? parseDurationSeconds(ttl, 'ttl') : 15 * 60;
  if (ttlSeconds > maxTtlSeconds) {
    throw new ConfigError('--ttl: at most 7d; a signed URL is a credential, keep it short-lived');
  }
  return { ttlSeconds };
}

async function sizeOf(
  dir: string | boolean | undefined,
  size: string | boolean | undefined,
  path: string,
): Promise<number> {
  if (typeof size === 'string') {
    if (!/^[0-9]+$/.test(size) || !Number.isSafeInteger(Number(size)) || Number(size) === 0) {
      throw new ConfigError(
        `--size: expected a positive number of bytes, got ${JSON.stringify(size.slice(0, 30))}`,
      );
    }
    return Number(size);
  }
  if (typeof dir !== 'string') {
    throw new ConfigError(
      '--env and --shell need the file size: give --dir (the served folder) or --size',
    );
  }
  // The same lookup the server makes, so --env fails here for a path the server would refuse.
  const folderReal = await realpath(dir).catch(() => {
    throw new ConfigError(`--dir ${dir} does not exist`);
  });
  const lookup = await openPublishedFile(folderReal, wirePath(path));
  if (!lookup.found)
    throw new ConfigError(`--dir ${dir} has no file at ${path} that the server would serve`);
  try {
    const { size: bytes } = await lookup.handle.stat();
    if (bytes === 0) {
      throw new ConfigError(`--path ${path} is an empty file; the loader needs a positive size`);
    }
    return bytes;
  } finally {
    await lookup.handle.close();
  }
}

/** The path as signUrl puts it on the wire (percent-encoded), which is what the server looks up. */
function wirePath(path: string): string {
  const url = new URL('http://x');
  url.pathname = path;
  return url.pathname;
}
