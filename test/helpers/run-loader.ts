// Runs the built loader as a child process the way a container does: a clean
// environment, JSON log lines on stdout, and an exit code or signal at the end.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loaderPath } from '../../scripts/loader-process.ts';

export type LoaderEvent = Record<string, unknown>;

export interface LoaderRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout lines that parsed as JSON objects, in order; other lines stay in `stdout` only. */
  events: LoaderEvent[];
  durationMs: number;
}

export interface RunLoaderOptions {
  /** Added to a clean environment that holds only PATH. */
  env?: Record<string, string>;
  args?: string[];
  uid?: number;
  gid?: number;
  cwd?: string;
  /** Default 30000. When exceeded the child is killed with SIGKILL and the run rejects. */
  timeoutMs?: number;
  /** Called for each event as its line arrives, e.g. to send a signal on `progress`. */
  onEvent?: (event: LoaderEvent, child: ChildProcess) => void;
  /** Called once the child is spawned, e.g. to send it a signal on a server's cue. */
  onSpawn?: (child: ChildProcess) => void;
  /** The script to run instead of the bundle; for testing this helper itself. */
  script?: string;
}

export function runLoader(options: RunLoaderOptions = {}): Promise<LoaderRun> {
  const script = options.script ?? loaderPath;
  if (!existsSync(script)) {
    return Promise.reject(new Error(`${script} does not exist: run \`npm run build\` first`));
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  const startedMs = performance.now();
  const child = spawn(process.execPath, [script, ...(options.args ?? [])], {
    // Clean on purpose: nothing such as HTTP_PROXY or NODE_OPTIONS leaks in from the test runner.
    env: { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });

  options.onSpawn?.(child);
  let stdout = '';
  let stderr = '';
  let partialLine = '';
  const events: LoaderEvent[] = [];
  let failure: Error | undefined;

  const fail = (error: Error) => {
    failure ??= error;
    child.kill('SIGKILL');
  };
  const takeLine = (line: string) => {
    const event = parseEvent(line);
    if (event === undefined) return;
    events.push(event);
    try {
      options.onEvent?.(event, child);
    } catch (error) {
      fail(error instanceof Error ? error : new Error(String(error)));
    }
  };

  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    const lines = (partialLine + chunk).split('\n');
    partialLine = lines.pop() ?? '';
    for (const line of lines) takeLine(line);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });

  const timer = setTimeout(() => {
    fail(new Error(`the loader did not exit within ${timeoutMs} ms and was killed with SIGKILL`));
  }, timeoutMs);

  return new Promise((resolvePromise, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (partialLine !== '') takeLine(partialLine);
      const run: LoaderRun = {
        code,
        signal,
        stdout,
        stderr,
        events,
        durationMs: performance.now() - startedMs,
      };
      if (failure) {
        reject(
          new Error(`${failure.message}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`, {
            cause: failure,
          }),
        );
      } else {
        resolvePromise(run);
      }
    });
  });
}

/** Fails when stdout or stderr contains any of the strings (e.g. a URL signature or password). */
export function assertNoSecret(run: Pick<LoaderRun, 'stdout' | 'stderr'>, secrets: string[]): void {
  for (const secret of secrets) {
    assert.notEqual(secret, '', 'assertNoSecret: an empty secret would match everything');
    for (const stream of ['stdout', 'stderr'] as const) {
      const line = run[stream].split('\n').find((text) => text.includes(secret));
      assert.equal(
        line,
        undefined,
        `${stream} leaks the secret ${JSON.stringify(secret)} in: ${line}`,
      );
    }
  }
}

function parseEvent(line: string): LoaderEvent | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as LoaderEvent)
      : undefined;
  } catch {
    return undefined;
  }
}
