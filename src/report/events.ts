/**
 * What the run tells: the start event, the done event, the failed event's
 * fields, the one-line termination message for Kubernetes, and a warning per
 * variable named like a setting that is none. main.ts writes them.
 */
import { readFileSync } from 'node:fs';
import type { ArtifactLocation, Environment, LoaderConfig } from '../config/types.ts';
import { describeUnknownVariable, findUnknownVariables } from '../config/unknown-variables.ts';
import { ExitCode, type LoaderError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { Redactor } from '../log/redact.ts';
import { nowMs } from '../process/clock.ts';
import { loaderVersion } from '../process/self.ts';
import { redactUrl } from '../urls/shown.ts';
import { type FailureFacts, failureMessage, type RunResult } from './run-facts.ts';

/** The `start` event: what the run is about to fetch, and the settings that shape it. */
export function startMessage(config: LoaderConfig): string {
  return `fetching ${shownLocation(config.artifact)} to ${config.outputPath}`;
}

export function startFields(config: LoaderConfig): Record<string, unknown> {
  const { artifact } = config;
  return {
    version: loaderVersion,
    ...(artifact.kind === 'url'
      ? { url: redactUrl(artifact.url) }
      : { reference: artifact.reference.display, mirrors: artifact.registry.mirrors }),
    path: config.outputPath,
    expectedBytes: artifact.expectedSizeBytes,
    sha256Expected: config.sha256,
    ...(config.publicKeys === undefined
      ? {}
      : { publicKeyIds: config.publicKeys.keys.map((key) => key.id) }),
    ...(config.signatureUrl === undefined ? {} : { signatureUrl: redactUrl(config.signatureUrl) }),
    verifyJar: config.verifyJar,
    keepVerified: config.keepVerified,
    deadlineSeconds: config.deadlineMs / 1000,
    maxAttempts: config.maxAttempts,
  };
}

/** What a run fetches as its events show it: the URL's scheme://host/path, or the reference. */
function shownLocation(artifact: ArtifactLocation): string {
  return artifact.kind === 'url' ? redactUrl(artifact.url) : artifact.reference.display;
}

/** The `done` event that ends a successful run: its message and its fields. */
export function doneMessage(result: RunResult, outputPath: string): string {
  if (result.outcome === 'already-present') return `${outputPath} already in place and verified`;
  if (result.outcome === 'not-modified')
    return `${outputPath} already in place, verified, and current (304 Not Modified)`;
  if (result.outcome === 'kept-verified')
    return `${outputPath} kept as verified earlier; the server could not confirm it (see the kept-verified warning)`;
  const resumed = result.resumedBytes > 0 ? `, ${result.resumedBytes} bytes resumed` : '';
  const signed = result.signedBy === undefined ? '' : `, signed by key ${result.signedBy}`;
  return `${outputPath} in place and verified${signed} (${result.attempts} attempt(s)${resumed})`;
}

export function doneFields(
  result: RunResult,
  config: LoaderConfig,
  startedAt: number,
  startupMs: number | undefined,
): Record<string, unknown> {
  const { artifact } = config;
  return {
    outcome: result.outcome,
    exitCode: ExitCode.ok,
    ...(artifact.kind === 'oci'
      ? { reference: artifact.reference.display, manifestDigest: result.manifestDigest }
      : {}),
    path: config.outputPath,
    bytes: result.bytes,
    sha256: result.sha256,
    signedBy: result.signedBy,
    attempts: result.attempts,
    resumedBytes: result.resumedBytes,
    durationMs: Math.round(nowMs() - startedAt),
    startupMs,
    peakRssBytes: peakRssBytes(),
  };
}

/**
 * Peak resident memory of this process (VmHWM), for sizing the init
 * container's memory limit; undefined where /proc is not available.
 * process.resourceUsage().maxRSS is not used: Linux carries ru_maxrss over
 * exec, so it can report the memory of whatever spawned us.
 */
export function peakRssBytes(): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

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
    durationMs: Math.round(nowMs() - startedAt),
    startupMs,
  };
  if (error.exitCode === ExitCode.internal && error.cause instanceof Error)
    fields.stack = error.cause.stack;
  return fields;
}

/**
 * The one line Kubernetes shows in `kubectl describe pod`. Only text is
 * scrubbed, as in a log field: the digest and counts are not secrets.
 */
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
  const signed = result.signedBy === undefined ? '' : ` signedBy=${result.signedBy}`;
  return `ok: ${result.outcome} ${redactor.scrub(outputPath)} sha256=${result.sha256} bytes=${result.bytes}${signed}${redactor.scrub(why)}`;
}

/** One warning per `ARTIFACT_*`/`LOADER_*` variable that is no setting: a typo is otherwise silent. */
export function warnUnknownVariables(logger: Logger, env: Environment): void {
  for (const variable of findUnknownVariables(env)) {
    logger.warn('unknown-variable', describeUnknownVariable(variable), {
      variable: variable.name,
      nearest: variable.nearest,
      likely: variable.likely,
    });
  }
}
