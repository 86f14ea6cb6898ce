// The scenarios: each runs its clients in alternation (A B C A B C ...) after
// one warm-up round, so a noisy neighbour slows every client alike.
import { rm, stat } from 'node:fs/promises';
import { signUrl } from '../src/urls/sign-url.ts';
import { startCuttingRelay } from '../test/helpers/cutting-relay.ts';
import { type Client, type Download, loader } from './clients.ts';
import { measure, type Sample } from './measure.ts';
import type { Row } from './report.ts';
import { median } from './stats.ts';

export interface RunRecord extends Omit<Sample, 'stdout'> {
  scenario: string;
  client: string;
  round: number;
  warmUp: boolean;
}

export interface BenchContext {
  readonly secret: string;
  readonly rounds: number;
  readonly runs: RunRecord[];
  readonly progress: (text: string) => void;
}

export function signedUrl(context: BenchContext, origin: string, path: string): string {
  return signUrl({ baseUrl: origin, path, ttlSeconds: 6 * 3600, secret: context.secret });
}

/** Runs every client `rounds` times in alternation after a warm-up round; checks each output's size. */
export async function alternate(
  context: BenchContext,
  scenario: string,
  clients: readonly Client[],
  download: Download,
  options: { rounds?: number; keepStdout?: boolean } = {},
): Promise<Row[]> {
  const rounds = options.rounds ?? context.rounds;
  const samples = new Map<string, Sample[]>(clients.map((client) => [client.name, []]));
  for (let round = 0; round <= rounds; round += 1) {
    for (const client of clients) {
      context.progress(
        `${scenario}: ${client.name}, ${round === 0 ? 'warm-up' : `round ${round}/${rounds}`}`,
      );
      await removeOutput(download.output);
      const sample = await measure(client.command(download), options.keepStdout);
      if (sample.exitCode !== 0)
        throw new Error(`${client.name} exited ${sample.exitCode} (${scenario})`);
      const { size } = await stat(download.output);
      if (size !== download.sizeBytes)
        throw new Error(`${client.name} wrote ${size} of ${download.sizeBytes} bytes`);
      const { stdout: _stdout, ...record } = sample;
      context.runs.push({ scenario, client: client.name, round, warmUp: round === 0, ...record });
      if (round > 0) samples.get(client.name)?.push(sample);
    }
  }
  await removeOutput(download.output);
  return clients.map((client) => ({
    client: client.name,
    samples: samples.get(client.name) ?? [],
    sizeBytes: download.sizeBytes,
  }));
}

export async function removeOutput(output: string): Promise<void> {
  await rm(output, { force: true });
  await rm(`${output}.aria2`, { force: true });
}

/** Milliseconds from process start to the first request, as the loader reports it in its final event. */
export function startupMsOf(samples: readonly Sample[]): number | undefined {
  const values = samples.flatMap((sample) =>
    sample.stdout
      .split('\n')
      .filter((line) => line.includes('"event":"done"'))
      .map((line) => (JSON.parse(line) as { startupMs?: number }).startupMs)
      .filter((value): value is number => typeof value === 'number'),
  );
  return values.length > 0 ? median(values) : undefined;
}

/**
 * A reset half-way through: how many bytes the server had to send in all.
 * The loader resumes with Range; curl --retry starts over.
 */
export async function resumeCost(
  context: BenchContext,
  origin: string,
  download: Omit<Download, 'url'>,
  path: string,
): Promise<{ client: string; sentRatio: number; exitCode: number | null }[]> {
  const results = [];
  const curlRetry: Client = {
    name: 'curl --retry 3',
    command: (d) => ({
      file: 'curl',
      args: [
        // Silent: the reset it retries after is the point, not news.
        '-fs',
        '--retry',
        '3',
        '--retry-all-errors',
        '--retry-delay',
        '0',
        '-o',
        d.output,
        d.url,
      ],
    }),
  };
  for (const client of [loader(1, { LOADER_BACKOFF_BASE_SECONDS: '0.05' }), curlRetry]) {
    await using relay = await startCuttingRelay(origin, [Math.floor(download.sizeBytes / 2)]);
    await removeOutput(download.output);
    const sample = await measure(
      client.command({ ...download, url: signedUrl(context, relay.origin, path) }),
    );
    const sent = relay.bytesPerConnection.reduce((sum, bytes) => sum + bytes, 0);
    results.push({
      client: client.name,
      sentRatio: sent / download.sizeBytes,
      exitCode: sample.exitCode,
    });
  }
  await removeOutput(download.output);
  return results;
}

/** N clients at once, as when a Deployment scales out: time until the last one is done. */
export async function burst(
  clients: readonly Client[],
  replicas: number,
  download: Download,
): Promise<{ client: string; allDoneMs: number; medianMs: number }[]> {
  const results = [];
  for (const client of clients) {
    const started = performance.now();
    const samples = await Promise.all(
      Array.from({ length: replicas }, (_, index) =>
        measure(client.command({ ...download, output: `${download.output}.${index}` })),
      ),
    );
    const allDoneMs = performance.now() - started;
    if (samples.some((sample) => sample.exitCode !== 0))
      throw new Error(`${client.name}: a replica failed`);
    await Promise.all(samples.map((_, index) => removeOutput(`${download.output}.${index}`)));
    results.push({
      client: client.name,
      allDoneMs,
      medianMs: median(samples.map((s) => s.wallMs)),
    });
  }
  return results;
}

/**
 * What this server and machine deliver at most on `connections` capped
 * connections: that many curl range requests at once, to /dev/null. The bar
 * the loader's parts can reach here, whatever the cap times the connections.
 */
export async function serverCeiling(
  context: BenchContext,
  download: Download,
  connections: number,
): Promise<{ medianMibPerSecond: number; runs: number }> {
  const rates: number[] = [];
  const partBytes = Math.ceil(download.sizeBytes / connections);
  for (let round = 0; round <= context.rounds; round += 1) {
    context.progress(`capped: server ceiling, ${round === 0 ? 'warm-up' : `round ${round}`}`);
    const started = performance.now();
    const samples = await Promise.all(
      Array.from({ length: connections }, (_, index) => {
        const first = index * partBytes;
        const last = Math.min(download.sizeBytes, first + partBytes) - 1;
        return measure({
          file: 'curl',
          args: ['-fsS', '-r', `${first}-${last}`, '-o', '/dev/null', download.url],
        });
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    if (samples.some((sample) => sample.exitCode !== 0)) throw new Error('a ceiling curl failed');
    if (round > 0) rates.push(download.sizeBytes / (1024 * 1024) / seconds);
  }
  return { medianMibPerSecond: median(rates), runs: rates.length };
}
