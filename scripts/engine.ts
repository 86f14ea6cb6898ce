// Finds a working container engine (podman or docker) and runs its CLI with a
// time limit on every call, so a wedged engine fails a test instead of hanging it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export type EngineName = 'podman' | 'docker';

export interface ExecOptions {
  /** Killed (SIGKILL) after this long; the result then has `timedOut: true`. */
  readonly timeoutMs?: number;
  readonly cwd?: string;
  /** Added to the engine's environment, e.g. values passed on with `-e NAME`. */
  readonly extraEnv?: Readonly<Record<string, string>>;
}

export interface ExecResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

export interface Engine {
  readonly name: EngineName;
  /** `podman version` / `docker version` server line, for the test log. */
  readonly version: string;
  /** Environment for every engine call (podman: CONTAINERS_CONF). */
  readonly env: NodeJS.ProcessEnv;
  /**
   * Flags `run` needs on this engine so that the shared hardening flags mean
   * what they mean on Docker: podman's `--read-only` mounts writable tmpfs on
   * /tmp, /var/tmp and /run unless `--read-only-tmpfs=false` is given.
   */
  readonly runFlags: readonly string[];
  exec(args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
}

export type Detection =
  | { readonly ok: true; readonly engine: Engine }
  | { readonly ok: false; readonly reason: string };

const probeTimeoutMs = 30_000;
const defaultExecTimeoutMs = 120_000;

/** Runs one command without a shell; never rejects on a non-zero exit, only on spawn failure. */
export function execCommand(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: ExecOptions = {},
): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? defaultExecTimeoutMs;
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...env, ...options.extraEnv },
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
        durationMs: Math.round(performance.now() - startedAt),
      });
    });
  });
}

/** Throws with the command's output when it did not exit 0; returns its stdout otherwise. */
export function expectSuccess(result: ExecResult, what: string): string {
  if (result.exitCode === 0 && !result.timedOut) return result.stdout;
  const how = result.timedOut
    ? `timed out after ${result.durationMs} ms`
    : `exited ${result.exitCode ?? result.signal}`;
  throw new Error(
    `${what} ${how}\n--- stdout ---\n${tail(result.stdout)}\n--- stderr ---\n${tail(result.stderr)}`,
  );
}

function tail(text: string, maxChars = 6_000): string {
  return text.length > maxChars ? `…${text.slice(-maxChars)}` : text;
}

/**
 * Picks the engine named by CONTAINER_ENGINE, or else the first of podman and
 * docker whose CLI can reach a working engine (a docker client without a
 * daemon does not count).
 */
export async function detectEngine(env: NodeJS.ProcessEnv = process.env): Promise<Detection> {
  const requested = env.CONTAINER_ENGINE?.trim();
  if (requested !== undefined && requested !== '') {
    if (requested !== 'podman' && requested !== 'docker') {
      return {
        ok: false,
        reason: `CONTAINER_ENGINE must be "podman" or "docker", got ${JSON.stringify(requested)}`,
      };
    }
    const detection = await probe(requested, env);
    return detection.ok
      ? detection
      : {
          ok: false,
          reason: `CONTAINER_ENGINE=${requested} was requested but ${detection.reason}`,
        };
  }
  const reasons: string[] = [];
  for (const name of ['podman', 'docker'] as const) {
    const detection = await probe(name, env);
    if (detection.ok) return detection;
    reasons.push(detection.reason);
  }
  return { ok: false, reason: `no container engine works here: ${reasons.join('; ')}` };
}

async function probe(name: EngineName, baseEnv: NodeJS.ProcessEnv): Promise<Detection> {
  if (findOnPath(name, baseEnv) === undefined)
    return { ok: false, reason: `${name} is not on PATH` };
  const env = name === 'podman' ? await podmanEnv(baseEnv) : { ...baseEnv };
  const format = name === 'podman' ? '{{.Client.Version}}' : '{{.Server.Version}}';
  let result: ExecResult;
  try {
    result = await execCommand(name, ['version', '--format', format], env, {
      timeoutMs: probeTimeoutMs,
    });
  } catch (error) {
    return { ok: false, reason: `${name} could not be started (${(error as Error).message})` };
  }
  if (result.exitCode !== 0 || result.timedOut) {
    const firstLine = result.stderr.trim().split('\n')[0] ?? '';
    return {
      ok: false,
      reason: `\`${name} version\` failed (${firstLine || `exit ${result.exitCode}`})`,
    };
  }
  const engine: Engine = {
    name,
    version: result.stdout.trim(),
    env,
    runFlags: name === 'podman' ? ['--read-only-tmpfs=false'] : [],
    exec: (args, options) => execCommand(name, args, env, options),
  };
  return { ok: true, engine };
}

/**
 * Podman settings that this kind of machine needs (see the project's container
 * notes): runc instead of crun, which refuses the hybrid cgroup layout; the
 * cgroupfs manager; ulimits below the machine's hard limits. Written to a
 * containers.conf and passed by CONTAINERS_CONF, unless the caller set one.
 */
async function podmanEnv(baseEnv: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  if (baseEnv.CONTAINERS_CONF !== undefined && baseEnv.CONTAINERS_CONF !== '')
    return { ...baseEnv };
  const lines = [
    '# Written by scripts/engine.ts for the runtime-loader container test.',
    '[containers]',
    'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]',
    '',
    '[engine]',
    'cgroup_manager = "cgroupfs"',
  ];
  if (findOnPath('runc', baseEnv) !== undefined || existsSync('/usr/sbin/runc'))
    lines.push('runtime = "runc"');
  const dir = join(tmpdir(), 'runtime-loader-podman');
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'containers.conf');
  await writeFile(path, `${lines.join('\n')}\n`);
  return { ...baseEnv, CONTAINERS_CONF: path };
}

export function findOnPath(
  command: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The image's ID, or undefined when there is no such image. */
export async function imageId(engine: Engine, image: string): Promise<string | undefined> {
  const result = await engine.exec(['image', 'inspect', '--format', '{{.Id}}', image], {
    timeoutMs: probeTimeoutMs,
  });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/**
 * After a tag moved to a new build, removes the image it pointed to before, so
 * repeated runs do not pile up untagged images. Best effort: an image that is
 * still tagged elsewhere or used by a container stays.
 */
export async function removeSupersededImage(
  engine: Engine,
  previousId: string | undefined,
  image: string,
): Promise<void> {
  if (previousId === undefined || previousId === (await imageId(engine, image))) return;
  await engine.exec(['image', 'rm', previousId], { timeoutMs: probeTimeoutMs });
}

/**
 * Runs a podman push (`push` or `manifest push`) whose last two arguments are
 * the source and the destination, asking it for the digest it pushed
 * (`--digestfile`); returns that digest and how long the push took.
 */
export async function pushForDigest(
  engine: Engine,
  args: readonly string[],
  timeoutMs: number,
): Promise<{ digest: string; durationMs: number }> {
  const digestFile = join(tmpdir(), `runtime-loader-digest-${process.pid}-${Date.now()}`);
  const [source, destination] = args.slice(-2);
  try {
    const push = await engine.exec(
      [...args.slice(0, -2), '--digestfile', digestFile, String(source), String(destination)],
      { timeoutMs },
    );
    expectSuccess(push, `push ${destination}`);
    const digest = (await readFile(digestFile, 'utf8')).trim();
    if (!/^sha256:[0-9a-f]{64}$/.test(digest))
      throw new Error(`the push to ${destination} wrote no digest: ${digest}`);
    return { digest, durationMs: push.durationMs };
  } finally {
    await rm(digestFile, { force: true });
  }
}
