// One timed run of a command, with its peak RSS and CPU time from GNU time
// (the OS's own accounting for the child), and its stdout when asked for.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const gnuTime = '/usr/bin/time';

export interface Sample {
  exitCode: number | null;
  wallMs: number;
  /** undefined without GNU time. */
  userMs: number | undefined;
  systemMs: number | undefined;
  maxRssKiB: number | undefined;
  stdout: string;
}

export interface Command {
  file: string;
  args: string[];
  env?: Record<string, string>;
}

let counter = 0;

export async function measure(command: Command, keepStdout = false): Promise<Sample> {
  counter += 1;
  const statsFile = join(tmpdir(), `bench-time-${process.pid}-${counter}`);
  const timed = existsSync(gnuTime);
  const [file, args] = timed
    ? [gnuTime, ['-o', statsFile, '-f', '%e %U %S %M', command.file, ...command.args]]
    : [command.file, command.args];
  const started = performance.now();
  const { exitCode, stdout } = await new Promise<{ exitCode: number | null; stdout: string }>(
    (resolve, reject) => {
      const child = spawn(file, args, {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...command.env },
        stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'inherit'],
      });
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ exitCode: code, stdout: out }));
    },
  );
  const wallMs = performance.now() - started;
  let userMs: number | undefined;
  let systemMs: number | undefined;
  let maxRssKiB: number | undefined;
  if (timed) {
    const fields = (await readFile(statsFile, 'utf8')).trim().split('\n').at(-1)?.split(' ') ?? [];
    userMs = Number(fields[1]) * 1000;
    systemMs = Number(fields[2]) * 1000;
    maxRssKiB = Number(fields[3]);
    await rm(statsFile, { force: true });
  }
  return { exitCode, wallMs, userMs, systemMs, maxRssKiB, stdout };
}
