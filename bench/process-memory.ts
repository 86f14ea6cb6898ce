// A server's memory as the kernel counts it: resident now (VmRSS) and at its
// peak (VmHWM), from /proc, for a process and the workers it forked.
import { readdir, readFile } from 'node:fs/promises';

export interface ProcessMemory {
  rssKiB: number;
  peakRssKiB: number;
}

/** The process and its direct children (nginx's workers), summed; undefined off Linux. */
export async function processMemory(pid: number): Promise<ProcessMemory | undefined> {
  const pids = [pid, ...(await childrenOf(pid))];
  let rssKiB = 0;
  let peakRssKiB = 0;
  for (const one of pids) {
    const status = await readFile(`/proc/${one}/status`, 'utf8').catch(() => undefined);
    if (status === undefined) return undefined;
    rssKiB += field(status, 'VmRSS');
    peakRssKiB += field(status, 'VmHWM');
  }
  return { rssKiB, peakRssKiB };
}

async function childrenOf(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const children: number[] = [];
  for (const task of tasks) {
    const text = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
    children.push(...text.split(' ').filter(Boolean).map(Number));
  }
  return children;
}

function field(status: string, name: string): number {
  return Number(new RegExp(`^${name}:\\s+([0-9]+) kB`, 'm').exec(status)?.[1] ?? 0);
}
