// Where `serve`'s memory goes per transfer in flight: N curls at once, each
// paced by `--limit-rate` so that the transfers overlap for seconds, against a
// fresh `serve` loaded with bench/memory-sampler.ts. Prints, per N, the server
// idle and at its peak: RSS (the kernel's; anonymous and file-backed), V8's
// heap, memory outside the heap and ArrayBuffers, the collections it ran,
// and the growth divided by N. A profile for the note, not part of `npm run bench`.
//
//   node bench/serve-profile.ts [--transfers 1,8,32] [--size 16MiB] [--rate 4MiB]
//        [--serve-args '--max-transfers 32'] [--node-args '--max-semi-space-size=1']
//        [--bundle .tmp/other-build/runtime-loader.mjs]
//   --rate 0: unpaced curls, as fast as loopback goes.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startServeProcess } from '../scripts/loader-process.ts';
import { parseByteSize } from '../src/options/sizes.ts';
import { signUrl } from '../src/urls/sign-url.ts';
import { writeRandomFile } from './artifact.ts';
import { processMemory } from './process-memory.ts';

const { values: flags } = parseArgs({
  options: {
    transfers: { type: 'string', default: '1,8,32' },
    size: { type: 'string', default: '16MiB' },
    rate: { type: 'string', default: '4MiB' },
    'serve-args': { type: 'string', default: '' },
    'node-args': { type: 'string', default: '' },
    bundle: { type: 'string' },
  },
});
const counts = flags.transfers.split(',').map(Number);
const sizeBytes = parseByteSize(flags.size);
const rateBytes = flags.rate === '0' ? 0 : parseByteSize(flags.rate);
const words = (text: string) => text.split(' ').filter(Boolean);
const mib = 1024 * 1024;

interface MemorySample {
  t: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  rssAnon: number;
  rssFile: number;
}

const work = await mkdtemp(join(tmpdir(), 'serve-profile-'));
try {
  const secret = randomBytes(32).toString('base64url');
  const secretFile = join(work, 'secret');
  await writeFile(secretFile, secret, { mode: 0o600 });
  await writeRandomFile(join(work, 'artifact.bin'), sizeBytes);
  console.log(
    `serve, ${flags.size} per transfer, curl --limit-rate ${rateBytes === 0 ? 'none' : flags.rate}; serve ${flags['serve-args'] || '(defaults)'}; node ${flags['node-args'] || '(no flags)'}`,
  );
  console.log(
    '| transfers | wall | serve CPU | RSS idle → peak (VmHWM) | per transfer | RssAnon peak | heap used peak | external peak | ArrayBuffers peak | GCs minor/major |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const count of counts) {
    const samples = join(work, `samples-${count}`);
    const server = await startServeProcess({
      dir: work,
      secretFile,
      ...(flags.bundle === undefined ? {} : { bundle: resolve(flags.bundle) }),
      nodeArgs: [
        ...words(flags['node-args']),
        '--import',
        resolve(import.meta.dirname, 'memory-sampler.ts'),
      ],
      env: { MEMORY_SAMPLES: samples },
      args: ['--max-transfers-per-client', '999999', ...words(flags['serve-args'])],
    });
    try {
      const url = signUrl({
        baseUrl: server.origin,
        path: '/artifact.bin',
        ttlSeconds: 3600,
        secret,
      });
      await curls(url, 1, 0);
      await sleep(500);
      const idle = await processMemory(server.pid);
      const cpuBefore = await cpuSeconds(server.pid);
      const startedAt = Date.now();
      await curls(url, count, rateBytes);
      const wallMs = Date.now() - startedAt;
      const cpu = (await cpuSeconds(server.pid)) - cpuBefore;
      await sleep(100);
      const peak = await processMemory(server.pid);
      const lines = (await readFile(samples, 'utf8')).trim().split('\n');
      const parsed = lines.map(
        (line) => JSON.parse(line) as Partial<MemorySample> & { gc?: number },
      );
      const uptimeAtLaunch = parsed.filter((line) => line.rss !== undefined);
      // Samples from the launch on: the sampler's clock is the server's uptime.
      const memory = uptimeAtLaunch as MemorySample[];
      const launchT = (memory.at(-1)?.t ?? 0) - wallMs - 100;
      const during = memory.filter((line) => line.t >= launchT);
      const gcs = parsed.filter((line) => line.gc !== undefined && (line.t ?? 0) >= launchT);
      const max = (key: keyof MemorySample) => Math.max(...during.map((line) => line[key]));
      const idleRss = (idle?.rssKiB ?? 0) / 1024;
      const peakRss = (peak?.peakRssKiB ?? 0) / 1024;
      console.log(
        `| ${count} | ${(wallMs / 1000).toFixed(2)} s | ${cpu.toFixed(2)} s | ${idleRss.toFixed(0)} → ${peakRss.toFixed(0)} MiB | ${((peakRss - idleRss) / count).toFixed(2)} MiB | ${(max('rssAnon') / mib).toFixed(0)} MiB | ${(max('heapUsed') / mib).toFixed(1)} MiB | ${(max('external') / mib).toFixed(1)} MiB | ${(max('arrayBuffers') / mib).toFixed(1)} MiB | ${gcs.filter((g) => g.gc === 1).length}/${gcs.filter((g) => g.gc === 2 || g.gc === 4).length} |`,
      );
    } finally {
      await server.stop();
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}

/** User and system CPU time of a process so far, from /proc (in clock ticks of 10 ms). */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** `count` curls at once to /dev/null, each capped at `rateBytes` a second (0: no cap). */
async function curls(url: string, count: number, rateBytes: number): Promise<void> {
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((done, fail) => {
          const args = [
            '-fsS',
            '-o',
            '/dev/null',
            ...(rateBytes > 0 ? ['--limit-rate', String(rateBytes)] : []),
            url,
          ];
          const child = spawn('curl', args, { stdio: ['ignore', 'ignore', 'inherit'] });
          child.on('error', fail);
          child.on('close', (code) =>
            code === 0 ? done() : fail(new Error(`curl exited ${code}`)),
          );
        }),
    ),
  );
}
