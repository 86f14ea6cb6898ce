import { readFile } from 'node:fs/promises';
import { Pool } from 'undici';
import { ConfigError, FetchError, RejectedError } from '../errors.ts';
import { checkSecretName, secretContent } from './k8s-secret.ts';

/** Where the kubelet mounts a pod's service-account token, CA and namespace. */
export const defaultServiceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

const requestTimeoutMs = 30_000;

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
  const read = async (name: string) => {
    const path = `${serviceAccountDir}/${name}`;
    try {
      return (await readFile(path, 'utf8')).trim();
    } catch (error) {
      throw new ConfigError(
        `--k8s-apply: cannot read ${path} (${(error as { code?: string }).code ?? 'error'}); is a service-account token mounted (automountServiceAccountToken)?`,
      );
    }
  };
  const [token, caPem, namespace] = await Promise.all([
    read('token'),
    read('ca.crt'),
    read('namespace'),
  ]);
  return {
    origin: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    token,
    caPem,
    namespace,
  };
}

/**
 * Writes the URL (and size, and expiry annotation) into the existing Secret
 * `name` with one JSON merge patch (RFC 7396), so the Role needs only `patch`
 * on that one name, never `create` or `list`. Nothing of the URL is printed.
 */
export async function patchSecret(
  api: InClusterApi,
  name: string,
  url: string,
  sizeBytes: number | undefined,
  signal: AbortSignal,
): Promise<string> {
  const where = `Secret ${api.namespace}/${checkSecretName(name)}`;
  const { annotations, stringData } = secretContent(url, sizeBytes);
  // The pod's CA only: the API server is trusted as the kubelet mounted it, not by the public roots.
  const dispatcher = new Pool(api.origin, {
    connect: { ca: api.caPem, timeout: 10_000 },
    headersTimeout: requestTimeoutMs,
    bodyTimeout: requestTimeoutMs,
  });
  try {
    const response = await dispatcher
      .request({
        path: `/api/v1/namespaces/${encodeURIComponent(api.namespace)}/secrets/${name}`,
        method: 'PATCH',
        signal,
        headers: {
          authorization: `Bearer ${api.token}`,
          'content-type': 'application/merge-patch+json',
          accept: 'application/json',
        },
        body: JSON.stringify({ metadata: { annotations }, stringData }),
      })
      .catch((error: unknown) => {
        throw new FetchError(
          `${where}: the API server at ${api.origin} could not be reached: ${(error as Error).message}`,
          { cause: error },
        );
      });
    const text = await response.body.text();
    if (response.statusCode === 200) return where;
    const said = apiMessage(text, url);
    if (response.statusCode === 404) {
      throw new RejectedError(
        `${where} does not exist${said}: create it once (runtime-loader sign ... --k8s-secret ${name} | kubectl apply -f -); the Role grants patch on it, never create`,
      );
    }
    if (response.statusCode === 401 || response.statusCode === 403) {
      throw new RejectedError(
        `the API server refused to patch ${where} (${response.statusCode})${said}: check the Role and RoleBinding of this pod's ServiceAccount`,
      );
    }
    throw new FetchError(
      `the API server answered ${response.statusCode} to patching ${where}${said}`,
    );
  } finally {
    await dispatcher.close();
  }
}

/** The `message` of a Kubernetes Status, short, and with the URL and its query scrubbed. */
function apiMessage(body: string, url: string): string {
  let message: unknown;
  try {
    message = (JSON.parse(body) as { message?: unknown }).message;
  } catch {
    return '';
  }
  if (typeof message !== 'string' || message === '') return '';
  const parsed = new URL(url);
  const values = [...parsed.searchParams.values()].filter((value) => value.length >= 8);
  const scrubbed = [url, parsed.search.slice(1), ...values]
    .filter((secret) => secret.length > 0)
    .reduce((text, secret) => text.split(secret).join('[redacted]'), message);
  return ` (${JSON.stringify(scrubbed.slice(0, 300))})`;
}
