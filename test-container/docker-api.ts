// A small Docker Engine API client: HTTP/1.1 over the daemon's unix socket with
// node:http's `socketPath`, the way docker-java (and so the orchestrator that
// runs the loader) talks to Docker. No docker CLI is involved.
import { request } from 'node:http';

export const dockerSocketPath = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';
const requestTimeoutMs = 60_000;

export interface ApiResponse {
  readonly status: number;
  readonly body: Buffer;
}

export class DockerApiError extends Error {
  readonly status: number;

  constructor(method: string, path: string, status: number, body: string) {
    super(`${method} ${path} answered ${status}: ${body.trim().slice(0, 500)}`);
    this.status = status;
  }
}

/** A container as the orchestrator creates it (POST /containers/create). */
export interface ContainerSpec {
  readonly Image: string;
  readonly Env?: readonly string[];
  readonly User?: string;
  readonly Entrypoint?: readonly string[];
  readonly Cmd?: readonly string[];
  readonly Labels?: Readonly<Record<string, string>>;
  readonly HostConfig: Readonly<Record<string, unknown>>;
}

export class DockerApi {
  /** e.g. `/v1.41`: the daemon's own API version, fixed by `connect`. */
  readonly #prefix: string;
  readonly apiVersion: string;
  readonly serverVersion: string;

  private constructor(apiVersion: string, serverVersion: string) {
    this.apiVersion = apiVersion;
    this.serverVersion = serverVersion;
    this.#prefix = `/v${apiVersion}`;
  }

  /** Asks the daemon for its version and talks that API version from then on. */
  static async connect(): Promise<DockerApi> {
    const response = await send('GET', '/version');
    if (response.status !== 200) {
      throw new DockerApiError('GET', '/version', response.status, response.body.toString());
    }
    const version = JSON.parse(response.body.toString()) as { ApiVersion: string; Version: string };
    return new DockerApi(version.ApiVersion, version.Version);
  }

  async call<T>(method: string, path: string, body?: unknown, ok = [200, 201, 204]): Promise<T> {
    const response = await this.raw(method, path, body, requestTimeoutMs);
    if (!ok.includes(response.status)) {
      throw new DockerApiError(method, path, response.status, response.body.toString());
    }
    return (response.body.length === 0 ? undefined : JSON.parse(response.body.toString())) as T;
  }

  raw(method: string, path: string, body?: unknown, timeoutMs = requestTimeoutMs) {
    return send(method, `${this.#prefix}${path}`, body, timeoutMs);
  }

  info(): Promise<{ SecurityOptions?: string[]; CgroupVersion?: string; CgroupDriver?: string }> {
    return this.call('GET', '/info');
  }

  createVolume(name: string, labels: Record<string, string>): Promise<unknown> {
    return this.call('POST', '/volumes/create', { Name: name, Labels: labels });
  }

  async removeVolume(name: string): Promise<void> {
    await this.call(
      'DELETE',
      `/volumes/${encodeURIComponent(name)}?force=true`,
      undefined,
      [204, 404],
    );
  }

  async createContainer(
    name: string,
    spec: ContainerSpec,
  ): Promise<{ Id: string; Warnings: string[] | null }> {
    return this.call('POST', `/containers/create?name=${encodeURIComponent(name)}`, spec);
  }

  async startContainer(id: string): Promise<void> {
    await this.call('POST', `/containers/${id}/start`, undefined, [204, 304]);
  }

  /**
   * POST /containers/{id}/wait, given up after `timeoutMs` (the orchestrator's
   * wait): resolves with the exit code, or `undefined` when the wait ran out.
   */
  async waitContainer(id: string, timeoutMs: number): Promise<number | undefined> {
    try {
      const response = await this.raw('POST', `/containers/${id}/wait`, undefined, timeoutMs);
      if (response.status !== 200) {
        throw new DockerApiError('POST', 'wait', response.status, response.body.toString());
      }
      return (JSON.parse(response.body.toString()) as { StatusCode: number }).StatusCode;
    } catch (error) {
      if ((error as { code?: string }).code === 'ETIMEDOUT') return undefined;
      throw error;
    }
  }

  /** The last `tail` lines of stdout and stderr, demultiplexed, in order. */
  async logs(id: string, tail: number): Promise<string> {
    const response = await this.raw(
      'GET',
      `/containers/${id}/logs?stdout=true&stderr=true&tail=${tail}`,
    );
    if (response.status !== 200) {
      throw new DockerApiError('GET', 'logs', response.status, response.body.toString());
    }
    return demultiplex(response.body);
  }

  inspectContainer<T = Record<string, unknown>>(id: string): Promise<T> {
    return this.call('GET', `/containers/${id}/json`);
  }

  async removeContainer(id: string): Promise<void> {
    await this.call('DELETE', `/containers/${id}?force=true&v=false`, undefined, [204, 404]);
  }

  /** Names of containers and volumes that carry `label=value`. */
  async listLabelled(
    label: string,
    value: string,
  ): Promise<{ containers: string[]; volumes: string[] }> {
    const filters = encodeURIComponent(JSON.stringify({ label: [`${label}=${value}`] }));
    const containers = await this.call<{ Names: string[] }[]>(
      'GET',
      `/containers/json?all=true&filters=${filters}`,
    );
    const volumes = await this.call<{ Volumes: { Name: string }[] | null }>(
      'GET',
      `/volumes?filters=${filters}`,
    );
    return {
      containers: containers.flatMap((container) => container.Names),
      volumes: (volumes.Volumes ?? []).map((volume) => volume.Name),
    };
  }
}

/**
 * Without a TTY the logs endpoint frames each chunk with an 8-byte header:
 * stream type, three zero bytes, big-endian payload length.
 */
export function demultiplex(body: Buffer): string {
  const parts: Buffer[] = [];
  for (let at = 0; at + 8 <= body.length; ) {
    const length = body.readUInt32BE(at + 4);
    parts.push(body.subarray(at + 8, at + 8 + length));
    at += 8 + length;
  }
  return Buffer.concat(parts).toString('utf8');
}

function send(method: string, path: string, body?: unknown, timeoutMs = requestTimeoutMs) {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise<ApiResponse>((resolve, reject) => {
    const req = request(
      {
        socketPath: dockerSocketPath,
        host: 'localhost',
        method,
        path,
        headers: {
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': payload.length }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }),
        );
        response.on('error', reject);
      },
    );
    const timer = setTimeout(() => {
      req.destroy(
        Object.assign(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`), {
          code: 'ETIMEDOUT',
        }),
      );
    }, timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end(payload);
  });
}
