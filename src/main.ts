/**
 * The loader's run, loaded by the entry (cli.ts) only when there is a
 * download to do: reads argv and the environment once, wires the stages
 * together, and returns the exit code.
 */
import { performance } from 'node:perf_hooks';
import { defaults } from './config/defaults.ts';
import { helpText } from './config/help.ts';
import { loadConfig, logFormatFor } from './config/load-config.ts';
import type { LoaderConfig } from './config/types.ts';
import { describeUnknownVariable, findUnknownVariables } from './config/unknown-variables.ts';
import { createDispatcher } from './download/http/http-client.ts';
import {
  DeadlineError,
  ExitCode,
  failureMessage,
  InterruptedError,
  type LoaderError,
  toLoaderError,
} from './errors.ts';
import { Logger } from './log/logger.ts';
import { Redactor, redactUrl } from './log/redact.ts';
import { peakRssBytes } from './process/peak-memory.ts';
import { watchStartupMs } from './process/startup-time.ts';
import { writeTerminationMessage } from './process/termination-log.ts';
import { keepWebAssemblyOnBaseline } from './process/v8-flags.ts';
import { type RunResult, run } from './run.ts';
import { loaderVersion, userAgent } from './version.ts';

/** After an abort, cleanup gets this long before the process exits regardless. */
const abortGraceMs = 750;

/** Knows every secret of the run; everything written to stdout, stderr or the termination log passes it. */
const redactor = new Redactor();

/** Where the run writes: stdout and stderr, each stopping quietly once its reader is gone. */
export interface RunOutput {
  readonly write: (text: string) => void;
  readonly writeStderr: (text: string) => void;
}

/** Scrubs what the entry prints of an error that escaped main: every secret the run knows. */
export function scrub(text: string): string {
  return redactor.scrub(text);
}

export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  startedAt: number,
  exit: (code: number) => never,
  { write }: RunOutput,
): Promise<number> {
  const startupMs = watchStartupMs();
  keepWebAssemblyOnBaseline();
  const stdoutIsTerminal = process.stdout.isTTY === true;
  registerRawSecrets(redactor, argv, env);

  // Until the configuration is valid, log in the format it asks for if it can be read at all.
  let logger = new Logger({
    format: logFormatFor(env.LOADER_LOG_FORMAT, stdoutIsTerminal),
    redactor,
    write,
    interactive: stdoutIsTerminal,
  });

  let config: LoaderConfig;
  try {
    const invocation = loadConfig(argv, env, stdoutIsTerminal, (raw) => redactor.addRaw(raw));
    if (invocation.kind === 'help') {
      write(helpText(loaderVersion));
      return ExitCode.ok;
    }
    if (invocation.kind === 'version') {
      write(`${loaderVersion}\n`);
      return ExitCode.ok;
    }
    config = invocation.config;
  } catch (caught) {
    const error = toLoaderError(caught);
    warnUnknownVariables(logger, env);
    logger.error('failed', error.message, finalFields(error, startedAt, startupMs()));
    // Kubernetes shows this in `kubectl describe pod` even for a misconfigured pod.
    const terminationLog = env.LOADER_TERMINATION_LOG || defaults.terminationLogPath;
    await writeTerminationMessage(terminationLog, terminationLine(error));
    return error.exitCode;
  }

  logger = new Logger({ format: config.logFormat, redactor, write, interactive: stdoutIsTerminal });
  redactor.addUrl(config.url);
  warnUnknownVariables(logger, env);
  logger.info('start', `fetching ${redactUrl(config.url)} to ${config.outputPath}`, {
    version: loaderVersion,
    url: redactUrl(config.url),
    path: config.outputPath,
    expectedBytes: config.expectedSizeBytes,
    sha256Expected: config.sha256,
    verifyJar: config.verifyJar,
    keepVerified: config.keepVerified,
    deadlineSeconds: config.deadlineMs / 1000,
    maxAttempts: config.maxAttempts,
  });

  const controller = new AbortController();
  /** Exits now, before cleanup finished; a temp file left behind is removed by the next run. */
  const abandon = (error: LoaderError, why: string) => {
    logger.error('failed', `${error.message} (${why})`, finalFields(error, startedAt, startupMs()));
    exit(error.exitCode);
  };
  const stopOnSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (controller.signal.aborted)
      abandon(new InterruptedError(signal), 'a second signal: not waiting for cleanup');
    controller.abort(new InterruptedError(signal));
  };
  process.on('SIGTERM', () => stopOnSignal('SIGTERM'));
  process.on('SIGINT', () => stopOnSignal('SIGINT'));
  const deadlineAt = startedAt + config.deadlineMs;
  const deadlineTimer = setTimeout(
    () =>
      controller.abort(
        new DeadlineError(
          `deadline of ${config.deadlineMs / 1000} s exceeded (LOADER_DEADLINE_SECONDS)`,
        ),
      ),
    config.deadlineMs,
  );
  let graceTimer: NodeJS.Timeout | undefined;
  controller.signal.addEventListener('abort', () => {
    // Cleanup must not keep an aborted run alive: exit within the grace period regardless.
    graceTimer = setTimeout(
      () =>
        abandon(toLoaderError(controller.signal.reason), `cleanup took over ${abortGraceMs} ms`),
      abortGraceMs,
    );
  });

  const dispatcher = createDispatcher(config);
  let exitCode: number;
  let terminationMessage: string;
  try {
    const deps = {
      logger,
      redactor,
      dispatcher,
      userAgent,
      remainingMs: () => deadlineAt - performance.now(),
    };
    const result = await run(config, deps, controller.signal);
    logger.info('done', doneMessage(result, config), {
      outcome: result.outcome,
      exitCode: ExitCode.ok,
      path: config.outputPath,
      bytes: result.bytes,
      sha256: result.sha256,
      attempts: result.attempts,
      resumedBytes: result.resumedBytes,
      durationMs: Math.round(performance.now() - startedAt),
      startupMs: startupMs(),
      peakRssBytes: peakRssBytes(),
    });
    exitCode = ExitCode.ok;
    const why = result.reason === undefined ? '' : ` (${result.reason})`;
    terminationMessage = `ok: ${result.outcome} ${redactor.scrub(config.outputPath)} sha256=${result.sha256} bytes=${result.bytes}${redactor.scrub(why)}`;
  } catch (caught) {
    const error = toLoaderError(controller.signal.aborted ? controller.signal.reason : caught);
    logger.error('failed', failureMessage(error), finalFields(error, startedAt, startupMs()));
    exitCode = error.exitCode;
    terminationMessage = terminationLine(error);
  } finally {
    clearTimeout(deadlineTimer);
    clearTimeout(graceTimer);
    dispatcher.destroy().catch(() => {});
  }
  await writeTerminationMessage(config.terminationLogPath, terminationMessage);
  return exitCode;
}

/** One warning per `ARTIFACT_*`/`LOADER_*` variable that is no setting: a typo is otherwise silent. */
function warnUnknownVariables(logger: Logger, env: NodeJS.ProcessEnv): void {
  for (const variable of findUnknownVariables(env)) {
    logger.warn('unknown-variable', describeUnknownVariable(variable), {
      variable: variable.name,
      nearest: variable.nearest,
      likely: variable.likely,
    });
  }
}

/** The termination log's line for a failure: only the message is text to scrub, as in a log field. */
function terminationLine(error: LoaderError): string {
  const digest = typeof error.details.sha256 === 'string' ? ` sha256=${error.details.sha256}` : '';
  return `exit ${error.exitCode} ${error.code}: ${redactor.scrub(failureMessage(error))}${digest}`;
}

function doneMessage(result: RunResult, config: LoaderConfig): string {
  if (result.outcome === 'already-present')
    return `${config.outputPath} already in place and verified`;
  if (result.outcome === 'not-modified')
    return `${config.outputPath} already in place, verified, and current (304 Not Modified)`;
  if (result.outcome === 'kept-verified')
    return `${config.outputPath} kept as verified earlier; the server could not confirm it (see the kept-verified warning)`;
  const resumed = result.resumedBytes > 0 ? `, ${result.resumedBytes} bytes resumed` : '';
  return `${config.outputPath} in place and verified (${result.attempts} attempt(s)${resumed})`;
}

function finalFields(
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

/**
 * Registers every raw value that may hold a secret before anything is parsed,
 * so not even an unparsable URL, a URL given as a stray argument, or a proxy's
 * credentials can be echoed.
 */
function registerRawSecrets(
  redactor: Redactor,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): void {
  const urlValues = [env.ARTIFACT_URL];
  argv.forEach((arg, index) => {
    if (arg === '--url') urlValues.push(argv[index + 1]);
    else if (arg.startsWith('--url=')) urlValues.push(arg.slice('--url='.length));
  });
  for (const raw of urlValues) if (raw) redactor.addRaw(raw);
  const proxies = [env.HTTP_PROXY, env.HTTPS_PROXY, env.http_proxy, env.https_proxy];
  for (const value of [...argv.map((arg) => arg.slice(arg.indexOf('=') + 1)), ...proxies]) {
    if (value && URL.canParse(value)) redactor.addUrl(new URL(value));
  }
}
