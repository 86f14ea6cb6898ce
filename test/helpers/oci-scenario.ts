// One `oci://` pull by the built loader against a real registry on loopback (Debian's
// docker-registry, see registry/registry.ts), reached through a counting relay so a test can
// see every request the loader made: the artifacts pushed first, the loader's environment
// with fast timeouts and JSON logs, and every run checked for the secrets it must not show.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Artifact, pushArtifact } from './registry/artifact.ts';
import type { Credentials } from './registry/client.ts';
import { type Registry, type RegistryOptions, startRegistry } from './registry/registry.ts';
import { type Relay, type RelayOptions, startRelay } from './registry/relay.ts';
import { assertNoSecret, type LoaderRun, type RunLoaderOptions, runLoader } from './run-loader.ts';
import { makeTempDir, type TempDir } from './tmp.ts';

/** Timeouts short enough that a stall, a dead connection or a backoff costs about a second. */
export const fastOciEnv = {
  LOADER_LOG_FORMAT: 'json',
  LOADER_STALL_TIMEOUT_SECONDS: '2',
  LOADER_CONNECT_TIMEOUT_SECONDS: '1',
  LOADER_BACKOFF_BASE_SECONDS: '0.05',
  LOADER_BACKOFF_MAX_SECONDS: '2',
  LOADER_DEADLINE_SECONDS: '20',
} as const;

export interface OciScenarioOptions {
  registry?: RegistryOptions;
  relay?: RelayOptions;
  /** `repo:tag` → what to push there. */
  artifacts: Record<string, Artifact>;
  /** For pushing to a registry with auth. */
  pushCredentials?: Credentials;
  /** Secrets no output of any run may hold (passwords, tokens). */
  secrets?: () => string[];
}

export interface OciScenario extends AsyncDisposable {
  readonly registry: Registry;
  /** In front of the registry: ARTIFACT_URL names it, and it records every request. */
  readonly relay: Relay;
  readonly dir: TempDir;
  /** ARTIFACT_PATH: a folder the loader has to create, so its listing shows any leftover. */
  readonly target: string;
  readonly terminationLog: string;
  /** `oci://RELAY/repo:tag` (or `…@digest`). */
  reference(repoAndTag: string): string;
  /** The built loader pulling `reference`, the relay listed as plain HTTP, then `env`. */
  run(
    reference: string,
    env?: Record<string, string>,
    options?: Omit<RunLoaderOptions, 'env'>,
  ): Promise<LoaderRun>;
}

export async function ociScenario(options: OciScenarioOptions): Promise<OciScenario> {
  await using stack = new AsyncDisposableStack();
  const registry = stack.use(await startRegistry(options.registry));
  for (const [repoAndTag, artifact] of Object.entries(options.artifacts)) {
    const [repo = '', tag = ''] = repoAndTag.split(':');
    await pushArtifact(registry, repo, tag, artifact, options.pushCredentials);
  }
  const relay = stack.use(await startRelay(registry.origin, options.relay));
  const dir = stack.use(await makeTempDir('runtime-loader-oci-'));
  const target = join(dir.path, 'out', 'app.jar');
  const terminationLog = join(dir.path, 'termination-log');
  await writeFile(terminationLog, '');
  const owned = stack.move();
  const run = async (
    reference: string,
    env: Record<string, string> = {},
    runOptions: Omit<RunLoaderOptions, 'env'> = {},
  ) => {
    const result = await runLoader({
      timeoutMs: 60_000,
      ...runOptions,
      env: {
        ARTIFACT_URL: reference,
        ARTIFACT_PATH: target,
        LOADER_TERMINATION_LOG: terminationLog,
        LOADER_REGISTRY_PLAIN_HTTP: relay.host,
        ...fastOciEnv,
        ...env,
      },
    });
    const secrets = options.secrets?.() ?? [];
    if (secrets.length > 0) {
      assertNoSecret(result, secrets);
      const message = await readFile(terminationLog, 'utf8');
      for (const secret of secrets)
        assert.ok(!message.includes(secret), `termination log leaks ${secret}: ${message}`);
    }
    return result;
  };
  return {
    registry,
    relay,
    dir,
    target,
    terminationLog,
    reference: (repoAndTag) => `oci://${relay.host}/${repoAndTag}`,
    run,
    [Symbol.asyncDispose]: () => owned.disposeAsync(),
  };
}

/** A Docker config.json with `auths` for `host` (the `auth` field: base64 of user:password). */
export function dockerConfig(host: string, credentials: Credentials): string {
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
  return JSON.stringify({ auths: { [host]: { auth } } });
}
