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
    ...inShownOrder(error.details),
    durationMs: Math.round(performance.now() - startedAt),
    startupMs,
  };
  if (error.exitCode === ExitCode.internal && error.cause instanceof Error)
    fields.stack = error.cause.stack;
  return fields;
}

/** What the retry loop and the parts add to an error on its way up, after it was made. */
const addedOnTheWayUp: readonly string[] = ['gaveUp', 'lastFailure', 'bytes'];

/**
 * The details with `attempts` where the event has always shown it: after the
 * error's own details, before why the retries stopped and the bytes written.
 * The run sets the count last (it is counted in one place), so its key would
 * otherwise come after those. The values are untouched.
 */
function inShownOrder(details: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (!Object.hasOwn(details, 'attempts')) return details;
  const entries = Object.entries(details).filter(([key]) => key !== 'attempts');
  const at = entries.findIndex(([key]) => addedOnTheWayUp.includes(key));
  if (at < 0) return details;
  entries.splice(at, 0, ['attempts', details.attempts]);
  return Object.fromEntries(entries);
}
