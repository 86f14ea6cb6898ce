import { ExitCode, type LoaderError } from '../errors.ts';

/** The fields of the final `failed` event: outcome, codes, the error's details and timings. */
export function finalFields(
  error: LoaderError,
  startedAt: number,
  startupMs: number | undefined,
): Record<string, unknown> {
  // The error's own fields first, then those the run adds on its way out, always in this order.
  const { attempts, gaveUp, lastFailure, bytes, sha256, ...own } = error.details;
  const fields: Record<string, unknown> = {
    outcome: 'failed',
    exitCode: error.exitCode,
    code: error.code,
    ...own,
    attempts,
    gaveUp,
    lastFailure,
    bytes,
    sha256,
    durationMs: Math.round(performance.now() - startedAt),
    startupMs,
  };
  if (error.exitCode === ExitCode.internal && error.cause instanceof Error)
    fields.stack = error.cause.stack;
  return fields;
}
