/** Human-readable renderings for a terminal. */

export function formatText(record: Record<string, unknown>): string {
  const { ts, level, event, msg, ...fields } = record;
  const time = typeof ts === 'string' ? ts.slice(11, 19) : '';
  const extras = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${time} ${String(level).toUpperCase().padEnd(5)} ${String(event)}: ${String(msg)}${extras ? `  ${extras}` : ''}`;
}

const barWidth = 30;

export function formatProgressBar(fields: {
  bytes: number;
  totalBytes: number;
  rateBytesPerSecond?: unknown;
  etaSeconds?: unknown;
}): string {
  const ratio = fields.totalBytes > 0 ? Math.min(1, fields.bytes / fields.totalBytes) : 0;
  const filled = Math.round(ratio * barWidth);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}`;
  const rate =
    typeof fields.rateBytesPerSecond === 'number'
      ? ` ${formatBytes(fields.rateBytesPerSecond)}/s`
      : '';
  const eta = typeof fields.etaSeconds === 'number' ? ` eta ${Math.ceil(fields.etaSeconds)}s` : '';
  return `[${bar}] ${(ratio * 100).toFixed(1).padStart(5)}% ${formatBytes(fields.bytes)}/${formatBytes(fields.totalBytes)}${rate}${eta}`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
