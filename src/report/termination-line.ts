/**
 * The one line Kubernetes shows in `kubectl describe pod`. Only text is
 * scrubbed, as in a log field: the digest and counts are not secrets.
 */
import { failureMessage, type LoaderError } from '../errors.ts';
import type { FailureFacts } from '../failure-facts.ts';
import type { Redactor } from '../log/redact.ts';
import type { RunResult } from '../run.ts';

export function failureTerminationLine(
  error: LoaderError,
  facts: FailureFacts,
  redactor: Redactor,
  /** Why the run was abandoned before its cleanup ended, when it was. */
  abandoned?: string,
): string {
  const sha256 = facts.sha256 ?? error.details.sha256;
  const digest = typeof sha256 === 'string' ? ` sha256=${sha256}` : '';
  const why = abandoned === undefined ? '' : ` (${abandoned})`;
  return `exit ${error.exitCode} ${error.code}: ${redactor.scrub(failureMessage(error, facts) + why)}${digest}`;
}

export function successTerminationLine(
  result: RunResult,
  outputPath: string,
  redactor: Redactor,
): string {
  const why = result.reason === undefined ? '' : ` (${result.reason})`;
  return `ok: ${result.outcome} ${redactor.scrub(outputPath)} sha256=${result.sha256} bytes=${result.bytes}${redactor.scrub(why)}`;
}
