// The built loader as a child process: where `npm run build` puts the bundle, and
// `runtime-loader serve` started from it and waited for until it listens. Used by the
// demo, the tests and the bench.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** Absolute path of the bundle that `npm run build` writes. */
export const loaderPath = resolve(import.meta.dirname, '../dist/runtime-loader.mjs');

export interface ServeProcess extends AsyncDisposable {
  /** `http://127.0.0.1:port`. */
  readonly origin: string;
  /** The server's process id (the bench reads its memory from /proc). */
  readonly pid: number;
  /** Every stdout line so far (JSON access-log events). */
  readonly lines: string[];
  /** Sends SIGTERM and resolves with the exit code once the process is gone. */
  stop(): Promise<number | null>;
}

export interface ServeOptions {
  dir: string;
  secretFile: string;
  args?: string[];
  /** The bundle to run; the one `npm run build` writes by default (the bench compares builds). */
  bundle?: string;
  /** Node's own flags, before the bundle (the image's ENTRYPOINT gives `--max-semi-space-size=1`). */
  nodeArgs?: string[];
  /** More environment, beside PATH. */
  env?: Record<string, string>;
  /** Called with each stdout line as it arrives. */
  onLine?: (line: string) => void;
}

export async function startServeProcess(options: ServeOptions): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      options.bundle ?? loaderPath,
      'serve',
      '--dir',
      options.dir,
      '--secret-file',
      options.secretFile,
      '--port',
      '0',
      '--log-format',
      'json',
      ...(options.args ?? []),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    },
  );
  const lines: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, 'exit');
  const origin = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      lines.push(line);
      options.onLine?.(line);
      const event = JSON.parse(line) as { event?: string; url?: string };
      if (event.event === 'listening' && event.url) resolve(event.url);
    });
    child.once('exit', (code) =>
      reject(new Error(`serve exited ${code} before listening: ${stderr}`)),
    );
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    return code;
  };
  return {
    origin,
    pid: child.pid ?? 0,
    lines,
    stop,
    [Symbol.asyncDispose]: async () => void (await stop()),
  };
}
