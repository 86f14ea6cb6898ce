// The per-replica floor: what one loader costs before and around its bytes,
// each figure paired with its baseline from the same rounds (A B C A B C ...).
import { rm } from 'node:fs/promises';
import { type Client, curl, type Download, loader } from './clients.ts';
import { measure, type Sample } from './measure.ts';
import { markdownTable } from './report.ts';
import type { BenchContext } from './scenarios.ts';
import { median } from './stats.ts';

export interface FloorRow {
  what: string;
  loader: string;
  baseline: string;
  ratio: number | undefined;
  goal: string;
  met: boolean | undefined;
}

/** The floor's figures beside their baselines, for the goals table (goals.ts). */
export interface FloorFigures {
  nodeMs: number;
  nodePeakMiB: number | undefined;
  smallMs: number;
  smallPeakMiB: number | undefined;
  largeMiB: number;
  largeServer: string;
  largeMs: number;
  largePeakMiB: number | undefined;
  /** undefined without curl. */
  curlMs: number | undefined;
  curlPeakMiB: number | undefined;
}

const mib = 1024 * 1024;

/** The loader as the image runs it, with only these arguments. */
function loaderWith(args: string[]): Client {
  const base = loader(1);
  return {
    name: `loader ${args.join(' ')}`,
    command: (download) => {
      const command = base.command(download);
      return {
        ...command,
        args: [...command.args, ...args],
        env: { NODE_COMPILE_CACHE: command.env?.NODE_COMPILE_CACHE ?? '' },
      };
    },
  };
}

const bareNode: Client = {
  name: 'node -e 0',
  command: () => ({ file: process.execPath, args: ['-e', '0'] }),
};

/** Runs the clients in alternation; every sample of each, warm-up left out. */
async function rounds(
  context: BenchContext,
  label: string,
  clients: readonly Client[],
  download: Download,
  count: number,
): Promise<Sample[][]> {
  const samples: Sample[][] = clients.map(() => []);
  for (let round = 0; round <= count; round += 1) {
    for (const [index, client] of clients.entries()) {
      context.progress(
        `floor ${label}: ${client.name}, ${round === 0 ? 'warm-up' : `round ${round}/${count}`}`,
      );
      await rm(download.output, { force: true });
      const sample = await measure(client.command(download));
      if (sample.exitCode !== 0)
        throw new Error(`${client.name} exited ${sample.exitCode} (${label})`);
      const { stdout: _stdout, ...record } = sample;
      context.runs.push({
        scenario: `floor ${label}`,
        client: client.name,
        round,
        warmUp: round === 0,
        ...record,
      });
      if (round > 0) samples[index]?.push(sample);
    }
  }
  await rm(download.output, { force: true });
  return samples;
}

const wall = (samples: readonly Sample[] | undefined) =>
  median((samples ?? []).map((s) => s.wallMs));
const peakMiB = (samples: readonly Sample[] | undefined) => {
  const values = (samples ?? []).flatMap((s) => (s.maxRssKiB === undefined ? [] : [s.maxRssKiB]));
  return values.length > 0 ? Math.max(...values) / 1024 : undefined;
};

/**
 * `small` is a 4 KiB download, `medium` one of 64 MiB, `large` the big one
 * (1 GiB by default) from the fastest server at hand (nginx when installed).
 */
export async function floor(
  context: BenchContext,
  downloads: { small: Download; medium: Download; large: Download; largeServer: string },
  options: { startRounds: number; withCurl: boolean },
): Promise<{ rows: FloorRow[]; figures: FloorFigures }> {
  const rows: FloorRow[] = [];
  const one = loader(1);
  const start = await rounds(
    context,
    'start',
    [bareNode, loaderWith(['--version']), loaderWith(['--help']), one],
    downloads.small,
    options.startRounds,
  );
  const nodeMs = wall(start[0]);
  const ratioRow = (what: string, samples: Sample[] | undefined, goal: number): FloorRow => {
    const ms = wall(samples);
    return {
      what,
      loader: `${ms.toFixed(0)} ms`,
      baseline: `node -e 0: ${nodeMs.toFixed(0)} ms`,
      ratio: ms / nodeMs,
      goal: `<= ${goal}x`,
      met: ms / nodeMs <= goal,
    };
  };
  rows.push(ratioRow('4 KiB artifact, process start to exit', start[3], 2));
  rows.push(ratioRow('--version', start[1], 1.3));
  rows.push(ratioRow('--help', start[2], 1.3));

  const memory = await rounds(context, 'memory', [one], downloads.medium, 2);
  const rssRow = (what: string, miB: number | undefined, goal: number): FloorRow => ({
    what,
    loader: miB === undefined ? 'n/a' : `${miB.toFixed(1)} MiB`,
    baseline: `node -e 0: ${(peakMiB(start[0]) ?? Number.NaN).toFixed(1)} MiB`,
    ratio: undefined,
    goal: `<= ${goal} MiB`,
    met: miB === undefined ? undefined : miB <= goal,
  });
  rows.push(rssRow('peak RSS, 4 KiB', peakMiB(start[3]), 52));
  rows.push(rssRow(`peak RSS, ${downloads.medium.sizeBytes / mib} MiB`, peakMiB(memory[0]), 52));

  const clients = options.withCurl ? [one, curl] : [one];
  const large = await rounds(context, 'large', clients, downloads.large, context.rounds);
  rows.push(rssRow(`peak RSS, ${downloads.large.sizeBytes / mib} MiB`, peakMiB(large[0]), 64));
  const loaderMs = wall(large[0]);
  const curlMs = options.withCurl ? wall(large[1]) : undefined;
  rows.push({
    what: `${downloads.large.sizeBytes / mib} MiB, one connection, SHA-256 on, from ${downloads.largeServer}`,
    loader: `${loaderMs.toFixed(0)} ms`,
    baseline: curlMs === undefined ? 'no curl' : `curl raw: ${curlMs.toFixed(0)} ms`,
    ratio: curlMs === undefined ? undefined : loaderMs / curlMs,
    goal: '<= 1.2x',
    met: curlMs === undefined ? undefined : loaderMs / curlMs <= 1.2,
  });
  const figures: FloorFigures = {
    nodeMs,
    nodePeakMiB: peakMiB(start[0]),
    smallMs: wall(start[3]),
    smallPeakMiB: peakMiB(start[3]),
    largeMiB: downloads.large.sizeBytes / mib,
    largeServer: downloads.largeServer,
    largeMs: loaderMs,
    largePeakMiB: peakMiB(large[0]),
    curlMs,
    curlPeakMiB: options.withCurl ? peakMiB(large[1]) : undefined,
  };
  return { rows, figures };
}

export function formatFloor(rows: readonly FloorRow[], startRounds: number): string {
  const header = ['what', 'loader', 'baseline', 'ratio', 'goal', 'met'];
  const cells = rows.map((r) => [
    r.what,
    r.loader,
    r.baseline,
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`,
    r.goal,
    r.met === undefined ? 'n/a' : r.met ? 'yes' : 'no',
  ]);
  return markdownTable(
    `The per-replica floor (start-up: median of ${startRounds} alternating rounds; peak RSS: the largest of the rounds)`,
    header,
    cells,
  );
}
