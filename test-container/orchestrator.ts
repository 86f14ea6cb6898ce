// The consumer's orchestrator, replayed through the Docker Engine API: per
// replica a fresh named volume, phase 1 the loader with the consumer's exact
// HostConfig and a bounded wait, the tail of its logs on failure, phase 2 the
// JVM main container on the same volume, read-only. Mirrors what the
// consumer's docker-java code does; the values are the consumer's, not ours.
import { readFile } from 'node:fs/promises';
import type { ContainerSpec, DockerApi } from './docker-api.ts';

/** The consumer waits this long for the loader's exit code, then gives up. */
export const loaderWaitMs = 120_000;
/** What the consumer keeps of a failed loader's output. */
export const capturedTailLines = 50;
export const capturedTailChars = 4096;
export const jarsMountPath = '/app/jars';
export const usernsMode = 'host:1000:65536';

export interface HostSecurity {
  /** `apparmor=docker-default` is added only where the daemon runs AppArmor. */
  readonly appArmor: boolean;
  readonly note: string;
}

/**
 * Whether this host has AppArmor (the kernel module on, and the daemon reporting
 * it): Docker refuses `apparmor=...` where it has not.
 */
export async function detectHostSecurity(api: DockerApi): Promise<HostSecurity> {
  const kernel = await readFile('/sys/module/apparmor/parameters/enabled', 'utf8').then(
    (text) => text.trim() === 'Y',
    () => false,
  );
  const options = (await api.info()).SecurityOptions ?? [];
  const daemon = options.some((option) => option.includes('name=apparmor'));
  const appArmor = kernel && daemon;
  return {
    appArmor,
    note: appArmor
      ? 'AppArmor is on here: SecurityOpt includes apparmor=docker-default'
      : `AppArmor is NOT available here (kernel module ${kernel ? 'on' : 'off'}, daemon security options: ${options.join(', ') || 'none'}): apparmor=docker-default is left out of SecurityOpt, as Docker would refuse it`,
  };
}

/** The consumer's phase-1 HostConfig. NetworkMode host stands in for its primary network. */
export function loaderHostConfig(volume: string, security: HostSecurity): Record<string, unknown> {
  return {
    Binds: [`${volume}:${jarsMountPath}`],
    CapDrop: ['ALL'],
    ReadonlyRootfs: true,
    Tmpfs: { '/tmp': 'rw,nosuid,size=256m' },
    SecurityOpt: ['no-new-privileges', ...(security.appArmor ? ['apparmor=docker-default'] : [])],
    PidsLimit: 512,
    UsernsMode: usernsMode,
    NetworkMode: 'host',
  };
}

export interface ReplicaRequest {
  /** The container name; the volume is `cameleer-jars-{name}`. */
  readonly name: string;
  readonly loaderImage: string;
  readonly appImage: string;
  readonly url: string;
  readonly expectedSizeBytes: number;
  /** Settings beyond the consumer's two (an oci:// pull from a plain-HTTP registry names it). */
  readonly extraEnv?: Readonly<Record<string, string>>;
  /** The main container's command: `java -jar ...` or `java -cp ... Main`. */
  readonly appCommand: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

export interface LoaderOutcome {
  /** Undefined when the 120 s wait ran out (the consumer then kills it). */
  readonly exitCode: number | undefined;
  readonly durationMs: number;
  /** The last 50 lines, at most 4096 characters, as the consumer keeps them (failures only). */
  readonly capturedTail: string | undefined;
  /** Characters in the last 50 lines before the 4096-character cut. */
  readonly tailChars: number | undefined;
  readonly warnings: readonly string[];
}

export interface AppOutcome {
  readonly exitCode: number | undefined;
  readonly durationMs: number;
  readonly logs: string;
}

export interface ReplicaOutcome {
  readonly volume: string;
  readonly loader: LoaderOutcome;
  /** Only when the loader exited 0: the consumer never creates it otherwise. */
  readonly app: AppOutcome | undefined;
  /** The loader's full log, for the test's own diagnostics (not what the consumer keeps). */
  readonly loaderLogs: string;
}

/** Keeps what the consumer keeps: the last 4096 characters of the last 50 lines. */
export function captureTail(logs: string): string {
  return logs.length > capturedTailChars ? logs.slice(-capturedTailChars) : logs;
}

/** Starts one replica as the consumer does and cleans up as it does. */
export async function deployReplica(
  api: DockerApi,
  security: HostSecurity,
  request: ReplicaRequest,
): Promise<ReplicaOutcome> {
  const volume = `cameleer-jars-${request.name}`;
  await api.createVolume(volume, { ...request.labels });
  try {
    const loaderSpec: ContainerSpec = {
      Image: request.loaderImage,
      Env: [
        `ARTIFACT_URL=${request.url}`,
        `ARTIFACT_EXPECTED_SIZE=${request.expectedSizeBytes}`,
        ...Object.entries(request.extraEnv ?? {}).map(([name, value]) => `${name}=${value}`),
      ],
      Labels: request.labels,
      HostConfig: loaderHostConfig(volume, security),
    };
    const created = await api.createContainer(`${request.name}-loader`, loaderSpec);
    let loader: LoaderOutcome;
    let loaderLogs: string;
    try {
      const started = performance.now();
      await api.startContainer(created.Id);
      const exitCode = await api.waitContainer(created.Id, loaderWaitMs);
      const durationMs = Math.round(performance.now() - started);
      loaderLogs = await api.logs(created.Id, 10_000);
      const lastLines = exitCode === 0 ? undefined : await api.logs(created.Id, capturedTailLines);
      loader = {
        exitCode,
        durationMs,
        capturedTail: lastLines === undefined ? undefined : captureTail(lastLines),
        tailChars: lastLines?.length,
        warnings: created.Warnings ?? [],
      };
    } finally {
      await api.removeContainer(created.Id);
    }
    if (loader.exitCode !== 0) return { volume, loader, app: undefined, loaderLogs };

    const app = await runApp(api, volume, request);
    return { volume, loader, app, loaderLogs };
  } finally {
    await api.removeVolume(volume);
  }
}

/** Phase 2: the JVM main container, another UID, the volume read-only. */
async function runApp(
  api: DockerApi,
  volume: string,
  request: ReplicaRequest,
): Promise<AppOutcome> {
  const spec: ContainerSpec = {
    Image: request.appImage,
    User: '2000:2000',
    Cmd: request.appCommand,
    Labels: request.labels,
    HostConfig: {
      Binds: [`${volume}:${jarsMountPath}:ro`],
      CapDrop: ['ALL'],
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw,nosuid,size=256m' },
      SecurityOpt: ['no-new-privileges'],
      NetworkMode: 'none',
    },
  };
  const created = await api.createContainer(`${request.name}-app`, spec);
  try {
    const started = performance.now();
    await api.startContainer(created.Id);
    const exitCode = await api.waitContainer(created.Id, loaderWaitMs);
    const durationMs = Math.round(performance.now() - started);
    return { exitCode, durationMs, logs: await api.logs(created.Id, capturedTailLines) };
  } finally {
    await api.removeContainer(created.Id);
  }
}
