// The memory goals (issue 23) as one table: each figure beside its reference
// from the same run, the ratio where the goal is one, and whether it is met.
// `--scenarios floor` fills the loader's rows, the herd scenario serve's.
import type { FloorFigures } from './floor.ts';
import type { HerdResult } from './herd.ts';
import { markdownTable } from './report.ts';

export interface GoalRow {
  measure: string;
  measured: string;
  reference: string;
  ratio: number | undefined;
  goal: string;
  met: boolean | undefined;
}

/** Serve's growth above its own idle, allowed under a herd (the goal: flat, as nginx is). */
const serveGrowthMiB = 24;
/** Serve's p95 against nginx's, in the same herd. */
const serveP95Ratio = 1.1;
const smallRatio = 2;
const smallPeakMiB = 52;
const largeRatio = 1.2;
const largePeakMiB = 64;

const mibText = (value: number | undefined) =>
  value === undefined ? 'n/a' : `${value.toFixed(1)} MiB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Serve's two rows: its peak RSS against its idle, and its p95 against nginx's. */
export function serveGoalRows(
  serve: HerdResult,
  nginx: HerdResult | undefined,
  sizeMiB: number,
  bound: string,
): GoalRow[] {
  const herd = `\`serve\`, ${serve.loaders} loaders x ${sizeMiB} MiB at once, ${bound}`;
  const idle = serve.serverIdleRssMiB;
  const peak = serve.serverPeakRssMiB;
  const ratio = nginx === undefined ? undefined : serve.p95Ms / nginx.p95Ms;
  return [
    {
      measure: `${herd}: peak RSS`,
      measured:
        idle === undefined || peak === undefined
          ? 'n/a'
          : `${peak.toFixed(1)} MiB (idle ${idle.toFixed(1)}, +${(peak - idle).toFixed(1)})`,
      reference:
        nginx?.serverPeakRssMiB === undefined
          ? 'no nginx'
          : `nginx, master and workers: ${mibText(nginx.serverIdleRssMiB)} → ${mibText(nginx.serverPeakRssMiB)}`,
      ratio: undefined,
      goal: `<= idle + ${serveGrowthMiB} MiB`,
      met: idle === undefined || peak === undefined ? undefined : peak <= idle + serveGrowthMiB,
    },
    {
      measure: `${herd}: p95 of the loaders' start to exit`,
      measured: `${seconds(serve.p95Ms)} (${serve.succeeded}/${serve.loaders} ok)`,
      reference:
        nginx === undefined
          ? 'no nginx'
          : `nginx: ${seconds(nginx.p95Ms)} (${nginx.succeeded}/${nginx.loaders} ok)`,
      ratio,
      goal: `<= ${serveP95Ratio}x nginx`,
      met: ratio === undefined ? undefined : ratio <= serveP95Ratio,
    },
  ];
}

/** The loader's four rows: 4 KiB start to exit and its peak RSS; the large download's time and peak RSS. */
export function loaderGoalRows(floor: FloorFigures): GoalRow[] {
  const smallBy = floor.smallMs / floor.nodeMs;
  const largeBy = floor.curlMs === undefined ? undefined : floor.largeMs / floor.curlMs;
  const large = `loader, ${floor.largeMiB >= 1024 ? `${floor.largeMiB / 1024} GiB` : `${floor.largeMiB} MiB`}, one connection, SHA-256 on, from ${floor.largeServer}`;
  return [
    {
      measure: 'loader, 4 KiB, process start to exit',
      measured: `${floor.smallMs.toFixed(0)} ms`,
      reference: `node -e 0: ${floor.nodeMs.toFixed(0)} ms`,
      ratio: smallBy,
      goal: `<= ${smallRatio}x`,
      met: smallBy <= smallRatio,
    },
    {
      measure: 'loader, 4 KiB: peak RSS',
      measured: mibText(floor.smallPeakMiB),
      reference: `node -e 0: ${mibText(floor.nodePeakMiB)}`,
      ratio: undefined,
      goal: `<= ${smallPeakMiB} MiB`,
      met: floor.smallPeakMiB === undefined ? undefined : floor.smallPeakMiB <= smallPeakMiB,
    },
    {
      measure: `${large}: wall`,
      measured: `${floor.largeMs.toFixed(0)} ms`,
      reference: floor.curlMs === undefined ? 'no curl' : `curl -o: ${floor.curlMs.toFixed(0)} ms`,
      ratio: largeBy,
      goal: `<= ${largeRatio}x`,
      met: largeBy === undefined ? undefined : largeBy <= largeRatio,
    },
    {
      measure: `${large}: peak RSS`,
      measured: mibText(floor.largePeakMiB),
      reference: `curl -o: ${mibText(floor.curlPeakMiB)}`,
      ratio: undefined,
      goal: `<= ${largePeakMiB} MiB`,
      met: floor.largePeakMiB === undefined ? undefined : floor.largePeakMiB <= largePeakMiB,
    },
  ];
}

export function formatGoals(rows: readonly GoalRow[]): string {
  const header = ['measure', 'measured', 'reference (same run)', 'ratio', 'goal', 'verdict'];
  const cells = rows.map((r) => [
    r.measure,
    r.measured,
    r.reference,
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`,
    r.goal,
    r.met === undefined ? 'n/a' : r.met ? 'met' : 'not met',
  ]);
  return markdownTable(
    'The memory goals (issue 23), each beside its reference from this run',
    header,
    cells,
  );
}
