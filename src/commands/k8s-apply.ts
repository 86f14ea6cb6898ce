import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIPv6 } from 'node:net';
import { connectWithin } from '../download/http/connection.ts';
import {
  ConfigError,
  FetchError,
  InterruptedError,
  LoaderError,
  RejectedError,
} from '../errors.ts';
import { Redactor } from '../log/redact.ts';
import { quote } from '../options/expected.ts';
import { checkSecretName, secretContent } from './k8s-secret.ts';

/** Where the kubelet mounts a pod's service-account token, CA and namespace. */
export const defaultServiceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The whole request to the API server, its answer included, takes at most this long. */
export const apiTimeoutMs = 30_000;
/** What is read of an answer at most: a Status message fits; a larger body is not read on. */
const maxAnswerBytes = 8 * 1024;
/** Shown as the patch's manager in the Secret's managedFields. */
const fieldManager = 'runtime-loader';

/** How a pod reaches its API server, read once: the client-go in-cluster rules. */
export interface InClusterApi {
  readonly origin: string;
  readonly token: string;
  readonly caPem: string;
  readonly namespace: string;
}

export async function readInClusterApi(
  env: Readonly<Record<string, string | undefined>>,
  serviceAccountDir: string,
): Promise<InClusterApi> {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new ConfigError(
      '--k8s-apply works inside a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (outside a cluster, pipe the manifest to kubectl apply -f - instead)',
    );
  }
  const origin = apiOrigin(host, port);
  const read = async (name: string) => {
    const path = `${serviceAccountDir}/${name}`;
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `--k8s-apply: cannot read ${quote(path)} (${(error as { code?: string }).code ?? 'error'}); is a service-account token mounted (automountServiceAccountToken)?`,
      );
    }
  };
  const [token, caPem, namespace] = await Promise.all([
    read('token'),
    read('ca.crt'),
    read('namespace'),
  ]);
  return {
    origin,
    token: bearerToken(token, `${serviceAccountDir}/token`),
    caPem: caPem.trim(),
    namespace: namespace.trim(),
  };
}

/**
 * `https://host:port` from the two variables, or a ConfigError naming the one
 * at fault: the host alone (a name, an IPv4 address, or an IPv6 address,
 * which is bracketed here), the port a number.
 */
function apiOrigin(host: string, port: string): string {
  const portNumber = /^[0-9]{1,5}$/.test(port) ? Number(port) : 0;
  if (portNumber < 1 || portNumber > 65_535) {
    throw new ConfigError(
      `KUBERNETES_SERVICE_PORT: expected a port number from 1 to 65535, got ${quote(port)}`,
    );
  }
  const bare = /^\[.*\]$/.test(host) ? host.slice(1, -1) : host;
  if (isIPv6(bare)) return `https://[${bare}]:${portNumber}`;
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(host)) {
    throw new ConfigError(
      `KUBERNETES_SERVICE_HOST: expected a host name or an IP address, without a port (that is KUBERNETES_SERVICE_PORT), got ${quote(host)}`,
    );
  }
  return `https://${host}:${portNumber}`;
}

/**
 * The token as it goes into the Authorization header. The kubelet writes it
 * without a newline; one written by hand may end with one, which is dropped.
 * Anything else a header cannot carry as given is refused, never shown.
 */
function bearerToken(text: string, path: string): string {
  const token = text.replace(/\r?\n$/, '');
  if (token === '') throw new ConfigError(`--k8s-apply: ${quote(path)} is empty`);
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new ConfigError(
      `--k8s-apply: ${quote(path)} holds characters an Authorization header cannot carry (a line break, space, control or non-ASCII character); expected the token alone, on one line`,
    );
  }
  return token;
}

/** What goes into the Secret: the URL, and the size when known. */
export interface SecretPatch {
  readonly name: string;
  readonly url: string;
  readonly sizeBytes: number | undefined;
}

export interface PatchOptions {
  /** The run's signal: SIGTERM or SIGINT ends the request with the signal's exit code. */
  readonly signal: AbortSignal;
  /** Bound on the whole request, answer included [default: apiTimeoutMs]. */
  readonly timeoutMs?: number;
}

/**
 * Writes the URL (and size, and expiry annotation) into the existing Secret
 * with one JSON merge patch (RFC 7396), so the Role needs only `patch` on
 * that one name, never `create` or `list`. Nothing of the URL or the token is
 * printed, whatever the API server echoes.
 */
export async function patchSecret(
  api: InClusterApi,
  secret: SecretPatch,
  { signal, timeoutMs = apiTimeoutMs }: PatchOptions,
): Promise<string> {
  const name = checkSecretName(secret.name);
  const where = `Secret ${api.namespace}/${name}`;
  const { annotations, stringData } = secretContent(secret.url, secret.sizeBytes);
  const redactor = new Redactor();
  redactor.addUrl(new URL(secret.url));
  redactor.addSecret(api.token);
  const timeout = AbortSignal.timeout(timeoutMs);
  const failure = (error: unknown): LoaderError => {
    if (signal.aborted) return interruption(signal);
    if (timeout.aborted) {
      return new FetchError(
        `${where}: the API server at ${api.origin} did not answer within ${timeoutMs / 1000} s`,
        { cause: error },
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    return new FetchError(
      `${where}: the API server at ${api.origin} could not be reached: ${redactor.scrub(message)}`,
      { cause: error },
    );
  };
  const url = new URL(
    `${api.origin}/api/v1/namespaces/${encodeURIComponent(api.namespace)}/secrets/${name}?fieldManager=${fieldManager}`,
  );
  let statusCode: number;
  let text: string;
  try {
    ({ statusCode, text } = await new Promise<{ statusCode: number; text: string }>(
      (resolve, reject) => {
        const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
          url,
          {
            method: 'PATCH',
            // A connection of its own, closed after the answer.
            agent: false,
            // The pod's CA only: the API server is trusted as the kubelet mounted it, not by the public roots.
            ca: api.caPem,
            signal: AbortSignal.any([signal, timeout]),
            headers: {
              authorization: `Bearer ${api.token}`,
              'content-type': 'application/merge-patch+json',
              accept: 'application/json',
            },
          },
          (response: IncomingMessage) => {
            readAtMost(response, maxAnswerBytes).then(
              (answer) => resolve({ statusCode: response.statusCode ?? 0, text: answer }),
              reject,
            );
          },
        );
        request.once('socket', (socket) => connectWithin(socket, Math.min(10_000, timeoutMs)));
        request.on('error', reject);
        request.end(JSON.stringify({ metadata: { annotations }, stringData }));
      },
    ));
  } catch (error) {
    throw failure(error);
  }
  if (statusCode === 200) return where;
  throw refusal(statusCode, statusMessage(text, redactor), where, name);
}

/** The first `limitBytes` of a body, as text; the rest is not read. */
async function readAtMost(body: AsyncIterable<Buffer>, limitBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    total += chunk.byteLength;
    // Leaving the loop destroys the body, and the connection with it.
    if (total >= limitBytes) break;
  }
  return Buffer.concat(chunks).subarray(0, limitBytes).toString('utf8');
}

/**
 * Exit 3 for what asking again cannot change (RBAC, a missing Secret, a
 * conflict or an invalid patch: every 4xx but 408, 425 and 429), exit 4 for the rest.
 */
function refusal(statusCode: number, said: string, where: string, name: string): LoaderError {
  if (statusCode === 404) {
    return new RejectedError(
      `${where} does not exist${said}: create it once (runtime-loader sign ... --k8s-secret ${name} | kubectl apply -f -); the Role grants patch on it, never create`,
    );
  }
  if (statusCode === 401 || statusCode === 403) {
    return new RejectedError(
      `the API server refused to patch ${where} (${statusCode})${said}: check the Role and RoleBinding of this pod's ServiceAccount`,
    );
  }
  if (statusCode >= 400 && statusCode < 500 && ![408, 425, 429].includes(statusCode)) {
    return new RejectedError(`the API server refused to patch ${where} (${statusCode})${said}`);
  }
  return new FetchError(`the API server answered ${statusCode} to patching ${where}${said}`);
}

/** The `message` of a Kubernetes Status, through the redactor, then short. */
function statusMessage(body: string, redactor: Redactor): string {
  let message: unknown;
  try {
    message = (JSON.parse(body) as { message?: unknown }).message;
  } catch {
    return '';
  }
  if (typeof message !== 'string' || message === '') return '';
  return ` (${JSON.stringify(redactor.scrubServerText(message).slice(0, 300))})`;
}

/** The error a signal ends the run with: exit 143 for SIGTERM, 130 for SIGINT. */
function interruption(signal: AbortSignal): LoaderError {
  const reason: unknown = signal.reason;
  if (reason instanceof LoaderError) return reason;
  return new InterruptedError(reason === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
}
