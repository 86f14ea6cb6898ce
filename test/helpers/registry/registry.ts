// A real OCI registry on loopback: Debian's `docker-registry` (CNCF Distribution 2.8) as a
// child process on a free port with a throwaway directory, started when it answers GET /v2/,
// stopped with its directory removed. What it serves and how is in registry-config.ts.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { makeTempDir, type TempDir } from '../tmp.ts';
import { exchange } from './client.ts';
import { type RegistryConfigOptions, writeRegistryConfig } from './registry-config.ts';

export const registryBinary = '/usr/bin/docker-registry';

export interface RegistryOptions extends RegistryConfigOptions {
  /** Default 30000: a cold start on two busy cores can take seconds. */
  startTimeoutMs?: number;
  /** Where each start attempt gets its port; default a port that was free a moment ago. */
  portSource?: () => Promise<number>;
}

export interface Registry extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` (https with `tls`). */
  readonly origin: string;
  /** `127.0.0.1:PORT`, as it goes into oci://HOST/REPO:TAG. */
  readonly host: string;
  readonly caCert: string | undefined;
  readonly pid: number;
  /** The storage root, for tests that look at what the registry stored. */
  readonly dataDir: string;
  /** The last stderr lines (Distribution's log), for failure messages. */
  logTail(): string;
  /**
   * Resolves with the first log line (of the last 2000, or a later one) matching `pattern`: a
   * server-side cue, e.g. the pull-through cache's "Adding new scheduler entry for REPO@DIGEST",
   * logged once it has stored a blob. Rejects if the process exits or `timeoutMs` passes first.
   */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Peak resident set size so far (VmHWM in /proc/PID/status), in bytes. */
  peakRssBytes(): number;
  /** Kills the process and removes its directory. */
  stop(): Promise<void>;
}

const startAttempts = 5;

// Registries still running when the test process exits (a crash, a test that never disposed
// its registry) are killed and their directories removed, so none outlives the run.
const running = new Map<ChildProcess, string>();
process.once('exit', () => {
  for (const [child, dir] of running) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  if (!existsSync(registryBinary)) {
    throw new Error(`${registryBinary} is missing: install Debian's docker-registry package`);
  }
  const temp = await makeTempDir('registry-');
  try {
    const config = await writeRegistryConfig(temp.path, options);
    for (let attempt = 1; ; attempt++) {
      const port = await (options.portSource ?? freePort)();
      await writeFile(join(temp.path, 'config.yml'), JSON.stringify(config(port)));
      const started = await launch(temp, port, options);
      if (started !== 'address in use') return started;
      // Another process took the port between our probe and the registry's bind: try another.
      if (attempt === startAttempts) throw new Error(`no free port after ${startAttempts} tries`);
    }
  } catch (error) {
    await temp.cleanup();
    throw error;
  }
}

async function launch(
  temp: TempDir,
  port: number,
  options: RegistryOptions,
): Promise<Registry | 'address in use'> {
  // A clean environment: REGISTRY_* variables would override the config file.
  const child = spawn(registryBinary, ['serve', join(temp.path, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: '/usr/bin:/bin' },
  });
  running.set(child, temp.path);
  const exited = once(child, 'exit')
    .catch(() => [])
    .finally(() => running.delete(child));
  const history: string[] = [];
  const lineListeners = new Set<(line: string) => void>();
  const listening = new Promise<boolean>((resolve, reject) => {
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
      history.push(line);
      if (history.length > 2000) history.shift();
      for (const listener of lineListeners) listener(line);
      // "listening on 127.0.0.1:PORT", with ", tls" after it when serving https.
      if (line.includes(`msg="listening on 127.0.0.1:${port}`)) resolve(true);
    });
    child.once('error', reject);
    child.once('exit', () => resolve(false));
  });
  const logTail = () => history.slice(-40).join('\n');
  const waitForLog = (pattern: RegExp, timeoutMs = 30_000) => {
    const seen = history.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const settle = (error?: Error, line?: string) => {
        lineListeners.delete(listener);
        child.off('exit', onExit);
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(line ?? '');
      };
      const listener = (line: string) => pattern.test(line) && settle(undefined, line);
      const onExit = () => settle(new Error(`docker-registry exited before logging ${pattern}`));
      const timer = setTimeout(
        () => settle(new Error(`no log line matched ${pattern} in ${timeoutMs} ms:\n${logTail()}`)),
        timeoutMs,
      );
      lineListeners.add(listener);
      child.once('exit', onExit);
    });
  };
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const scheme = options.tls ? 'https' : 'http';
  const origin = `${scheme}://127.0.0.1:${port}`;
  const caCert = options.tls?.caCert;
  try {
    if (!(await listening)) {
      await exited;
      const log = logTail();
      if (log.includes('address already in use')) return 'address in use';
      throw new Error(`docker-registry exited before listening (timeout ${timeoutMs} ms):\n${log}`);
    }
    // The socket is bound before that line is logged; one request proves the handler answers.
    const probe = await exchange(new URL('/v2/', origin), { method: 'GET', headers: {}, caCert });
    if (probe.status !== 200 && probe.status !== 401) {
      throw new Error(`GET /v2/ answered ${probe.status} after start-up:\n${logTail()}`);
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const pid = child.pid ?? 0;
  let stopped: Promise<void> | undefined;
  const stopAndClean = () => {
    stopped ??= stop().then(() => temp.cleanup());
    return stopped;
  };
  return {
    origin,
    host: `127.0.0.1:${port}`,
    caCert,
    pid,
    dataDir: join(temp.path, 'data'),
    logTail,
    waitForLog,
    peakRssBytes: () => peakRssBytes(pid),
    stop: stopAndClean,
    [Symbol.asyncDispose]: stopAndClean,
  };
}

/** A port that was free a moment ago (the caller retries if it is taken before use). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function peakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kib) * 1024;
}
