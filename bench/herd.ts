// N loaders started at once against one server, each to its own output, as
// when a Deployment scales out: how many succeed, when they finish, what the
// herd moves in all against one loader alone, and what the server holds.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Client, Download } from './clients.ts';
import { type Command, gnuTime, measure, type Sample } from './measure.ts';
import { processMemory } from './process-memory.ts';
import { markdownTable } from './report.ts';
import type { BenchContext } from './scenarios.ts';
import { median } from './stats.ts';

export interface HerdResult {
  server: string;
  loaders: number;
  succeeded: number;
  identical: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  aggregateMibPerSecond: number;
  aloneMs: number;
  aloneMibPerSecond: number;
  /** Aggregate over alone: at least 0.8 is the goal. */
  ratioToAlone: number;
  retries: number;
  serverIdleRssMiB: number | undefined;
  serverPeakRssMiB: number | undefined;
  loaderPeakRssMiB: number | undefined;
  /** CPU time of all the loaders together (user + system). */
  loaderCpuSeconds: number;
}

const mib = 1024 * 1024;

/**
 * One loader alone (median of 3 after a warm-up), then `count` at once. Every
 * output is hashed afterwards and compared with the artifact's digest.
 */
export async function herd(
  context: BenchContext,
  server: { name: string; pid: number },
  client: Client,
  count: number,
  download: Download,
): Promise<HerdResult> {
  const alone: Sample[] = [];
  for (let round = 0; round <= 3; round += 1) {
    context.progress(`herd (${server.name}): one loader alone, round ${round}/3`);
    await rm(download.output, { force: true });
    const sample = await measure(client.command(download));
    if (sample.exitCode !== 0) throw new Error(`the lone loader exited ${sample.exitCode}`);
    if (round > 0) alone.push(sample);
  }
  await rm(download.output, { force: true });
  const aloneMs = median(alone.map((sample) => sample.wallMs));
  const idle = await processMemory(server.pid);

  const folders = Array.from({ length: count }, (_, index) =>
    join(dirname(download.output), `herd-${index}`),
  );
  for (const folder of folders) await mkdir(folder, { recursive: true });
  context.progress(`herd (${server.name}): ${count} loaders at once`);
  const launched = await launchAll(
    folders.map((folder) => client.command({ ...download, output: join(folder, 'app.jar') })),
    folders,
  );
  const peak = await processMemory(server.pid);
  const outputs = folders.map((folder) => join(folder, 'app.jar'));
  let identical = 0;
  for (const [index, output] of outputs.entries()) {
    context.progress(`herd (${server.name}): checking output ${index + 1}/${count}`);
    if ((await sha256Of(output)) === download.sha256) identical += 1;
    await rm(dirname(output), { recursive: true, force: true });
  }
  const { samples, allDoneMs } = launched;
  const walls = samples.map((sample) => sample.wallMs).sort((a, b) => a - b);
  const rss = samples.flatMap((sample) =>
    sample.maxRssKiB === undefined ? [] : [sample.maxRssKiB],
  );
  const cpuMs = samples.reduce(
    (sum, sample) => sum + (sample.userMs ?? 0) + (sample.systemMs ?? 0),
    0,
  );
  const aloneMibPerSecond = download.sizeBytes / mib / (aloneMs / 1000);
  const aggregateMibPerSecond = (count * download.sizeBytes) / mib / (allDoneMs / 1000);
  return {
    server: server.name,
    loaders: count,
    succeeded: samples.filter((sample) => sample.exitCode === 0).length,
    identical,
    p50Ms: percentile(walls, 0.5),
    p95Ms: percentile(walls, 0.95),
    maxMs: walls.at(-1) ?? Number.NaN,
    aggregateMibPerSecond,
    aloneMs,
    aloneMibPerSecond,
    ratioToAlone: aggregateMibPerSecond / aloneMibPerSecond,
    retries: samples.reduce((sum, sample) => sum + retriesOf(sample.stdout), 0),
    serverIdleRssMiB: idle && idle.rssKiB / 1024,
    serverPeakRssMiB: peak && peak.peakRssKiB / 1024,
    loaderPeakRssMiB: rss.length > 0 ? Math.max(...rss) / 1024 : undefined,
    loaderCpuSeconds: cpuMs / 1000,
  };
}

/**
 * Starts every command at once from one shell, which forks far faster than
 * this process could spawn them one by one (200 spawns from Node take
 * seconds under load, and the last would start late). Each child's wall is
 * from the common start to its own exit; GNU time adds its CPU and peak RSS.
 */
export async function launchAll(
  commands: readonly Command[],
  folders: readonly string[],
): Promise<{ samples: Sample[]; allDoneMs: number }> {
  const timed = existsSync(gnuTime);
  const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;
  const lines = ['start=$EPOCHREALTIME', 'echo "$start" > "$1/start"'];
  for (const [index, command] of commands.entries()) {
    const folder = quote(folders[index] ?? '');
    const env = Object.entries(command.env ?? {}).map(([name, value]) => `${name}=${quote(value)}`);
    const run = [
      ...(timed ? [gnuTime, '-o', `${folder}/time`, '-f', quote('%e %U %S %M')] : []),
      'env',
      '-i',
      `PATH=${quote(process.env.PATH ?? '/usr/bin:/bin')}`,
      ...env,
      quote(command.file),
      ...command.args.map(quote),
    ].join(' ');
    lines.push(
      `( ${run} > ${folder}/stdout 2>&1; echo $? > ${folder}/rc; echo $EPOCHREALTIME > ${folder}/end ) &`,
    );
  }
  lines.push('wait');
  const base = dirname(folders[0] ?? '.');
  const script = join(base, 'herd.sh');
  await writeFile(script, `${lines.join('\n')}\n`);
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const shell = spawn('bash', [script, base], { stdio: ['ignore', 'ignore', 'inherit'] });
    shell.on('error', reject);
    shell.on('close', () => resolve());
  });
  const allDoneMs = performance.now() - started;
  const startSeconds = Number(await readFile(join(base, 'start'), 'utf8'));
  const samples: Sample[] = [];
  for (const folder of folders) {
    const read = (name: string) => readFile(join(folder, name), 'utf8').catch(() => '');
    const fields = (await read('time')).trim().split('\n').at(-1)?.split(' ') ?? [];
    samples.push({
      exitCode: Number((await read('rc')).trim()),
      wallMs: (Number(await read('end')) - startSeconds) * 1000,
      userMs: timed ? Number(fields[1]) * 1000 : undefined,
      systemMs: timed ? Number(fields[2]) * 1000 : undefined,
      maxRssKiB: timed ? Number(fields[3]) : undefined,
      stdout: await read('stdout'),
    });
  }
  await rm(script, { force: true });
  await rm(join(base, 'start'), { force: true });
  return { samples, allDoneMs };
}

/** Retries a loader made: `attempts` of its final event, less the first. */
function retriesOf(stdout: string): number {
  const final = stdout
    .split('\n')
    .filter((line) => line.includes('"event":"done"') || line.includes('"event":"failed"'))
    .at(-1);
  if (final === undefined) return 0;
  const { attempts } = JSON.parse(final) as { attempts?: number };
  return typeof attempts === 'number' ? attempts - 1 : 0;
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

/** The SHA-256 of a loader's output, or undefined when there is none to read. */
export async function sha256Of(path: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch {
    return undefined;
  }
  return hash.digest('hex');
}

export function formatHerd(results: readonly HerdResult[], sizeBytes: number): string {
  const header = [
    'server',
    'succeeded',
    'identical',
    'p50',
    'p95',
    'max',
    'aggregate',
    'one alone',
    'ratio',
    'retries',
    'server RSS idle → peak',
    'loader peak RSS',
    'loaders CPU',
  ];
  const rows = results.map((r) => [
    r.server,
    `${r.succeeded}/${r.loaders}`,
    `${r.identical}/${r.loaders}`,
    `${(r.p50Ms / 1000).toFixed(1)} s`,
    `${(r.p95Ms / 1000).toFixed(1)} s`,
    `${(r.maxMs / 1000).toFixed(1)} s`,
    `${r.aggregateMibPerSecond.toFixed(0)} MiB/s`,
    `${r.aloneMibPerSecond.toFixed(0)} MiB/s (${r.aloneMs.toFixed(0)} ms)`,
    `${r.ratioToAlone.toFixed(2)}x`,
    String(r.retries),
    r.serverIdleRssMiB === undefined || r.serverPeakRssMiB === undefined
      ? 'n/a'
      : `${r.serverIdleRssMiB.toFixed(0)} → ${r.serverPeakRssMiB.toFixed(0)} MiB`,
    r.loaderPeakRssMiB === undefined ? 'n/a' : `${r.loaderPeakRssMiB.toFixed(0)} MiB`,
    `${r.loaderCpuSeconds.toFixed(0)} s`,
  ]);
  const loaders = results[0]?.loaders ?? 0;
  return markdownTable(
    `Herd: ${loaders} loaders started at once, ${sizeBytes / mib} MiB each, every output checked (goal: all identical, aggregate >= 0.8x one alone, server memory flat)`,
    header,
    rows,
  );
}
