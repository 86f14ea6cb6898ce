import { ExitCode, type LoaderError } from '../errors.ts';
import type { FailureFacts } from '../failure-facts.ts';

/**
 * The fields of the final `failed` event: outcome, codes, the error's own
 * details, the run's facts about it (attempts, why retries stopped, bytes
 * written, in FailureFacts' order), and timings.
 */
export function finalFields(
  error: LoaderError,
  facts: FailureFacts,
  startedAt: number,
  startupMs: number | undefined,
): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    outcome: 'failed',
    exitCode: error.exitCode,
    code: error.code,
    ...error.details,
    ...facts,
    durationMs: Math.round(performance.now() - startedAt),
    startupMs,
  };
  if (error.exitCode === ExitCode.internal && error.cause instanceof Error)
    fields.stack = error.cause.stack;
  return fields;
}
