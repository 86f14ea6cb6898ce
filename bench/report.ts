// The readable table: one row per client, the ratio against curl from the same run.
import type { Sample } from './measure.ts';
import { defined, median } from './stats.ts';

export interface Row {
  client: string;
  samples: Sample[];
  sizeBytes: number;
  note?: string;
}

export interface Summary {
  client: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  mibPerSecond: number;
  peakRssMiB: number | undefined;
  medianCpuMs: number | undefined;
  ratioToCurl: number | undefined;
  note?: string;
}

const mib = 1024 * 1024;

export function summarise(rows: readonly Row[]): Summary[] {
  const curlMedian = rows.find((row) => row.client === 'curl');
  const curlMs = curlMedian ? median(curlMedian.samples.map((sample) => sample.wallMs)) : undefined;
  return rows.map((row) => {
    const walls = row.samples.map((sample) => sample.wallMs);
    const rss = defined(row.samples.map((sample) => sample.maxRssKiB));
    const cpu = defined(row.samples.map((sample) => sumDefined(sample.userMs, sample.systemMs)));
    const medianMs = median(walls);
    return {
      client: row.client,
      runs: row.samples.length,
      medianMs,
      minMs: Math.min(...walls),
      maxMs: Math.max(...walls),
      mibPerSecond: row.sizeBytes / mib / (medianMs / 1000),
      peakRssMiB: rss.length > 0 ? Math.max(...rss) / 1024 : undefined,
      medianCpuMs: cpu.length > 0 ? median(cpu) : undefined,
      ratioToCurl: curlMs === undefined ? undefined : medianMs / curlMs,
      ...(row.note === undefined ? {} : { note: row.note }),
    };
  });
}

function sumDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a + b;
}

export function formatTable(title: string, summaries: readonly Summary[]): string {
  const header = ['client', 'runs', 'median', 'min-max', 'MiB/s', 'peak RSS', 'CPU', 'vs curl'];
  const rows = summaries.map((s) => [
    s.note === undefined ? s.client : `${s.client} (${s.note})`,
    String(s.runs),
    `${s.medianMs.toFixed(0)} ms`,
    `${s.minMs.toFixed(0)}-${s.maxMs.toFixed(0)} ms`,
    s.mibPerSecond.toFixed(0),
    s.peakRssMiB === undefined ? 'n/a' : `${s.peakRssMiB.toFixed(0)} MiB`,
    s.medianCpuMs === undefined ? 'n/a' : `${s.medianCpuMs.toFixed(0)} ms`,
    s.ratioToCurl === undefined ? '' : `${s.ratioToCurl.toFixed(2)}x`,
  ]);
  return markdownTable(title, header, rows);
}

/** A Markdown table under a blank line and its title, each column as wide as its widest cell. */
export function markdownTable(
  title: string,
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((name, column) =>
    Math.max(name.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [
    `\n${title}`,
    line(header),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}
