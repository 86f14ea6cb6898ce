import { ConfigError, ExitCode } from '../errors.ts';
import { quote } from '../options/expected.ts';
import { pathSegments } from '../serve/request-path.ts';
import { SignUrlError, type SignUrlOption, signUrl } from '../urls/sign-url.ts';
import { envFileLines, shellLines } from './env-lines.ts';
import { patchSecret, readInClusterApi } from './k8s-apply.ts';
import { checkSecretName, secretManifest } from './k8s-secret.ts';
import { readSecretFile } from './secret-file.ts';
import { servedSize, wirePath } from './served-size.ts';
import { maxTtlSeconds, signFlags, signHelp } from './sign-flags.ts';
import { parseToolFlags, type ToolFlags, type ToolIo } from './tool.ts';

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
    io.stdout(signHelp());
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
      `runtime-loader sign: warning: --secret-file ${quote(secretPath)} is readable by others or writable by its group; chmod 600 (or 640 to share it with a group)\n`,
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

/** When the signed URL expires: at --expires-at, or --ttl from now (15 minutes by default); 7 days at most. */
function expiryOf(flags: ToolFlags): { expiresAt: Date } | { ttlSeconds: number } {
  const maxTtl = `${maxTtlSeconds / 86_400}d`;
  const expiresAt = flags.read(signFlags.expiresAt);
  if (expiresAt !== undefined) {
    if (expiresAt.getTime() - Date.now() > maxTtlSeconds * 1000) {
      throw new ConfigError(
        `--expires-at: at most ${maxTtl} from now; a signed URL is a credential, keep it short-lived`,
      );
    }
    return { expiresAt };
  }
  const ttlSeconds = flags.read(signFlags.ttlSeconds);
  if (ttlSeconds > maxTtlSeconds) {
    throw new ConfigError(
      `--ttl: at most ${maxTtl}; a signed URL is a credential, keep it short-lived`,
    );
  }
  return { ttlSeconds };
}
