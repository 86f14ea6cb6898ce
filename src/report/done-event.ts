/** The `done` event that ends a successful run: its message and its fields. */
import type { LoaderConfig } from '../config/types.ts';
import { ExitCode } from '../errors.ts';
import { peakRssBytes } from '../process/peak-memory.ts';
import type { RunResult } from '../run.ts';

export function doneMessage(result: RunResult, outputPath: string): string {
  if (result.outcome === 'already-present') return `${outputPath} already in place and verified`;
  if (result.outcome === 'not-modified')
    return `${outputPath} already in place, verified, and current (304 Not Modified)`;
  if (result.outcome === 'kept-verified')
    return `${outputPath} kept as verified earlier; the server could not confirm it (see the kept-verified warning)`;
  const resumed = result.resumedBytes > 0 ? `, ${result.resumedBytes} bytes resumed` : '';
  return `${outputPath} in place and verified (${result.attempts} attempt(s)${resumed})`;
}

export function doneFields(
  result: RunResult,
  config: LoaderConfig,
  startedAt: number,
  startupMs: number | undefined,
): Record<string, unknown> {
  return {
    outcome: result.outcome,
    exitCode: ExitCode.ok,
    path: config.outputPath,
    bytes: result.bytes,
    sha256: result.sha256,
    attempts: result.attempts,
    resumedBytes: result.resumedBytes,
    durationMs: Math.round(performance.now() - startedAt),
    startupMs,
    peakRssBytes: peakRssBytes(),
  };
}
