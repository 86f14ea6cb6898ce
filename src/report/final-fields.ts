import { ExitCode, type LoaderError } from '../errors.ts';

/** The fields of the final `failed` event: outcome, codes, the error's details and timings. */
export function finalFields(
  error: LoaderError,
  startedAt: number,
  startupMs: number | undefined,
): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    outcome: 'failed',
    exitCode: error.exitCode,
    code: error.code,
    ...error.details,
    durationMs: Math.round(performance.now() - startedAt),
    startupMs,
  };
  if (error.exitCode === ExitCode.internal && error.cause instanceof Error)
    fields.stack = error.cause.stack;
  return fields;
}
