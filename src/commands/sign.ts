import { ConfigError, ExitCode } from '../errors.ts';
import { quote } from '../options/expected.ts';
import { pathSegments } from '../serve/request-path.ts';
import { SignUrlError, type SignUrlOption, signUrl } from '../urls/sign-url.ts';
import { envFileLines, shellLines } from './env-lines.ts';
import { patchSecret, readInClusterApi } from './k8s-apply.ts';
import { checkSecretName, secretManifest } from './k8s-secret.ts';
import { readSecretFile } from './secret-file.ts';
import { servedSize, wirePath } from './served-size.ts';
import { expiryOf } from './sign-expiry.ts';
import { signFlags } from './sign-flags.ts';
import { parseToolFlags } from './tool-flags.ts';
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
  const flags = parseToolFlags('sign', args, signFlags);
  if (flags.help) {
    io.stdout(signHelp);
    return ExitCode.ok;
  }
  const baseUrl = flags.required(signFlags.baseUrl);
  const path = flags.required(signFlags.path);
  const secretPath = flags.required(signFlags.secretFile);
  if (flags.given(signFlags.ttlSeconds) && flags.given(signFlags.expiresAt)) {
    throw new ConfigError('give --ttl or --expires-at, not both');
  }
  if (flags.isSet(signFlags.env) && flags.isSet(signFlags.shell)) {
    throw new ConfigError('give --env (for --env-file) or --shell (for a shell), not both');
  }
  const variableLines = flags.isSet(signFlags.env)
    ? envFileLines
    : flags.isSet(signFlags.shell)
      ? shellLines
      : undefined;
  const expiry = expiryOf(flags);
  // The server's own rules (no hidden or empty segments): refuse a URL that could never work.
  const segments = pathSegments(wirePath(path));
  if (!Array.isArray(segments)) {
    throw new ConfigError(
      `--path ${quote(path)} can never be served: ${segments.status === 400 ? segments.reason : 'the server refuses empty, hidden ("."-first), "." and ".." segments and encoded "/" or "\\"'}`,
    );
  }
  const secretName = flags.read(signFlags.k8sSecret);
  if (secretName !== undefined && variableLines !== undefined) {
    throw new ConfigError('give --env, --shell or --k8s-secret, not more than one');
  }
  if (secretName !== undefined) checkSecretName(secretName);
  const apply = flags.isSet(signFlags.k8sApply);
  if (apply && secretName === undefined) {
    throw new ConfigError('--k8s-apply needs --k8s-secret NAME: the Secret to patch');
  }
  // Read before signing, so a pod without its token fails before a URL exists.
  const cluster = apply
    ? await readInClusterApi(io.env, flags.read(signFlags.k8sServiceAccountDir))
    : undefined;
  const sizeKnown = flags.given(signFlags.dir) || flags.given(signFlags.sizeBytes);
  const sizeBytes =
    variableLines !== undefined || (secretName !== undefined && sizeKnown)
      ? await servedSize(flags, path)
      : undefined;
  const { keys, tooOpen } = await readSecretFile(secretPath);
  if (tooOpen)
    io.stderr(
      `runtime-loader sign: warning: --secret-file ${quote(secretPath)} is readable by group or others; chmod 600 it\n`,
    );

  let url: string;
  try {
    url = signUrl({ baseUrl, path, secret: keys[0].secretBytes, ...expiry });
  } catch (error) {
    if (!(error instanceof SignUrlError)) throw error;
    throw new ConfigError(`${flagOf[error.option]} ${error.problem}`, { cause: error });
  }
  if (secretName !== undefined && cluster !== undefined) {
    const where = await patchSecret(
      cluster,
      { name: secretName, url, sizeBytes },
      { signal: io.signal },
    );
    io.stdout(`patched ${where}: a new URL${sizeBytes === undefined ? '' : ' and size'}\n`);
    return ExitCode.ok;
  }
  if (secretName !== undefined) {
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
