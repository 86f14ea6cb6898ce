// A reusable harness for running deploy/kubernetes/ manifests under
// `podman kube play`: the Deployment's pod template (the file's Deployment
// document; a Service or a budget beside it is not played) becomes a Pod
// (podman 4.3 gives a Deployment's init containers the pod's `Always` restart
// policy, so a finished loader is restarted and the play fails), images are
// substituted, Secrets become podman secrets, volume claims become named
// volumes, and logs and states are read per container.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { type Engine, type ExecResult, expectSuccess } from '../scripts/engine.ts';

export interface PlayOptions {
  /** The manifest: a file whose one Deployment's pod template is played. */
  readonly manifestPath: string;
  /**
   * Image names to replace (from -> to). Nothing else of the template changes but
   * restartPolicy, the containers' ports (dropped, see podFromDeployment), Secret
   * volumes and claims (below).
   */
  readonly images: Readonly<Record<string, string>>;
  /**
   * Set on the Pod: `OnFailure` gives the kubelet's init-container behaviour
   * (a failed init container is restarted, a finished one is not); `Always`
   * is a Deployment's own, for a pod without init containers.
   */
  readonly restartPolicy: 'OnFailure' | 'Never' | 'Always';
  /**
   * PersistentVolumeClaims the template mounts: claim name -> the podman named
   * volume that stands for it (made and filled by the caller).
   */
  readonly claims?: Readonly<Record<string, string>>;
  /** Secrets the template refers to: name -> key -> value. */
  readonly secrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Pod name (the Deployment's name unless given). */
  readonly podName?: string;
  /**
   * Annotations added to the Pod: podman reads its own (such as
   * `io.podman.annotations.init.container.type`); the kubelet ignores them.
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface PlayedPod {
  readonly podName: string;
  readonly play: ExecResult;
  /** The Pod YAML that was played (no secret in it). */
  readonly yaml: string;
  logs(container: string): Promise<string>;
  /** `created`, `running`, `exited`, ... or `absent`. */
  state(container: string): Promise<string>;
  /** `podman container inspect` of one container, or undefined when it is gone. */
  inspect(container: string): Promise<ContainerFacts | undefined>;
  /** Restarts the pod as a node reboot would: `podman pod stop`, then `podman pod start`. */
  restart(): Promise<ExecResult>;
  /** `podman kube down`, then removes the secrets and the temp folder. */
  down(): Promise<void>;
}

/** What the test reports of a played container, to show where podman is not the kubelet. */
export interface ContainerFacts {
  readonly restartCount: number;
  readonly mounts: readonly { destination: string; source: string; type: string }[];
  readonly groups: readonly string[];
}

type Manifest = {
  metadata: { name: string };
  spec: { template: { metadata: Record<string, unknown>; spec: Record<string, unknown> } };
};

/** Builds the Pod YAML for a Deployment manifest with the given substitutions. */
export async function podFromDeployment(
  options: PlayOptions,
  work: string,
): Promise<{ name: string; yaml: string }> {
  let text = await readFile(options.manifestPath, 'utf8');
  for (const [from, to] of Object.entries(options.images)) text = text.split(from).join(to);
  const deployments = parseAllDocuments(text)
    .map((document) => document.toJS() as Manifest & { kind?: string })
    .filter((object) => object.kind === 'Deployment');
  const [deployment] = deployments;
  if (deployment === undefined || deployments.length > 1)
    throw new Error(`${options.manifestPath}: expected one Deployment`);
  const name = options.podName ?? deployment.metadata.name;
  const spec = deployment.spec.template.spec as {
    volumes?: Record<string, unknown>[];
    containers: Record<string, unknown>[];
  };
  // On the host network a container's ports are the host's already; podman 4.3 would
  // publish each containerPort as a port mapping, which it refuses on the host network.
  spec.containers = spec.containers.map(({ ports: _ports, ...container }) => container);
  if (spec.volumes !== undefined) {
    const volumes = await secretVolumesAsFolders(spec.volumes, options, work);
    spec.volumes = volumes.map((volume) => claimAsNamedVolume(volume, options));
  }
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...deployment.spec.template.metadata,
      name,
      ...(options.annotations === undefined
        ? {}
        : {
            annotations: {
              ...(deployment.spec.template.metadata.annotations as object | undefined),
              ...options.annotations,
            },
          }),
    },
    spec: { ...deployment.spec.template.spec, restartPolicy: options.restartPolicy },
  };
  return { name, yaml: stringify(pod) };
}

/** Plays the manifest's pod on the host network (to reach a server on 127.0.0.1). */
export async function playManifest(engine: Engine, options: PlayOptions): Promise<PlayedPod> {
  const work = await mkdtemp(join(tmpdir(), 'runtime-loader-kube-'));
  const { name, yaml } = await podFromDeployment(options, work);
  const file = join(work, 'pod.yaml');
  await writeFile(file, yaml);
  const secretNames = Object.keys(options.secrets);
  for (const [secretName, data] of Object.entries(options.secrets)) {
    // podman 4.3 reads a secretKeyRef from a podman secret holding {key: base64(value)}.
    const encoded = Object.fromEntries(
      Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    );
    const secretFile = join(work, `${secretName}.json`);
    await writeFile(secretFile, JSON.stringify(encoded), { mode: 0o600 });
    await engine.exec(['secret', 'rm', secretName], { timeoutMs: 30_000 });
    expectSuccess(
      await engine.exec(['secret', 'create', secretName, secretFile], { timeoutMs: 30_000 }),
      `podman secret create ${secretName}`,
    );
    await rm(secretFile);
  }
  const play = await engine.exec(['kube', 'play', '--network', 'host', file], {
    timeoutMs: 180_000,
  });
  const containerName = (container: string) => `${name}-${container}`;
  return {
    podName: name,
    play,
    yaml,
    logs: async (container) => {
      const result = await engine.exec(['logs', containerName(container)], { timeoutMs: 30_000 });
      return `${result.stdout}${result.stderr}`;
    },
    state: async (container) => {
      const result = await engine.exec(
        ['container', 'inspect', '--format', '{{.State.Status}}', containerName(container)],
        { timeoutMs: 30_000 },
      );
      return result.exitCode === 0 ? result.stdout.trim() : 'absent';
    },
    inspect: async (container) => {
      const result = await engine.exec(['container', 'inspect', containerName(container)], {
        timeoutMs: 30_000,
      });
      if (result.exitCode !== 0) return undefined;
      const [facts] = JSON.parse(result.stdout) as {
        RestartCount?: number;
        Mounts?: { Destination: string; Source: string; Type: string }[];
        HostConfig?: { GroupAdd?: string[] | null };
      }[];
      return {
        restartCount: facts?.RestartCount ?? 0,
        mounts: (facts?.Mounts ?? []).map((mount) => ({
          destination: mount.Destination,
          source: mount.Source,
          type: mount.Type,
        })),
        groups: facts?.HostConfig?.GroupAdd ?? [],
      };
    },
    restart: async () => {
      expectSuccess(
        await engine.exec(['pod', 'stop', '--time', '5', name], { timeoutMs: 60_000 }),
        `podman pod stop ${name}`,
      );
      return engine.exec(['pod', 'start', name], { timeoutMs: 180_000 });
    },
    down: async () => {
      await engine.exec(['kube', 'down', file], { timeoutMs: 120_000 });
      await engine.exec(['pod', 'rm', '--force', name], { timeoutMs: 60_000 });
      for (const secretName of secretNames) {
        await engine.exec(['secret', 'rm', secretName], { timeoutMs: 30_000 });
      }
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** A claim's volume, renamed to the podman named volume the caller made for it. */
function claimAsNamedVolume(
  volume: Record<string, unknown>,
  options: PlayOptions,
): Record<string, unknown> {
  const claim = volume.persistentVolumeClaim as { claimName: string } | undefined;
  if (claim === undefined) return volume;
  const named = options.claims?.[claim.claimName];
  if (named === undefined) throw new Error(`no volume given for claim ${claim.claimName}`);
  return { ...volume, persistentVolumeClaim: { ...claim, claimName: named } };
}

/**
 * podman 4.3 crashes on a `secret` volume (a nil dereference in
 * VolumeFromSecret during `kube play`), so each one becomes what the kubelet
 * makes of it: a folder holding one file per item, mounted read-only. The
 * kubelet's files are root-owned 0440 with group fsGroup; podman applies no
 * fsGroup to a hostPath, so here they are 0444.
 */
async function secretVolumesAsFolders(
  volumes: readonly Record<string, unknown>[],
  options: PlayOptions,
  work: string,
): Promise<Record<string, unknown>[]> {
  const result: Record<string, unknown>[] = [];
  for (const volume of volumes) {
    const secret = volume.secret as
      | { secretName: string; items?: { key: string; path: string }[] }
      | undefined;
    if (secret === undefined) {
      result.push(volume);
      continue;
    }
    const data = options.secrets[secret.secretName];
    if (data === undefined) throw new Error(`no value given for Secret ${secret.secretName}`);
    const folder = join(work, `secret-${String(volume.name)}`);
    await mkdir(folder, { mode: 0o755 });
    await chmod(folder, 0o755);
    const items = secret.items ?? Object.keys(data).map((key) => ({ key, path: key }));
    for (const { key, path } of items) {
      const value = data[key];
      if (value === undefined) throw new Error(`Secret ${secret.secretName} has no key ${key}`);
      await writeFile(join(folder, path), value, { mode: 0o444 });
    }
    result.push({ name: volume.name, hostPath: { path: folder, type: 'Directory' } });
  }
  return result;
}
