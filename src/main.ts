/**
 * The loader's run, loaded by the entry (cli.ts) only when there is a
 * download to do: reads argv and the environment once, wires the stages
 * together, and returns the exit code.
 */
import { earlyLogFormat, earlyTerminationLogPath } from './config/early-settings.ts';
import { helpText } from './config/help.ts';
import { type Invocation, loadConfig } from './config/load-config.ts';
import { registerRawSecrets } from './config/raw-secrets.ts';
import { settings } from './config/settings.ts';
import type { LoaderConfig } from './config/types.ts';
import { HttpClient } from './download/http/http-client.ts';
import { ExitCode, type LoaderError, toLoaderError } from './errors.ts';
import { Logger } from './log/logger.ts';
import { Redactor } from './log/redact.ts';
import { startLifecycle } from './process/lifecycle.ts';
import { loaderVersion, userAgent, watchStartupMs } from './process/self.ts';
import { writeTerminationMessage } from './process/termination-log.ts';
import {
  doneFields,
  doneMessage,
  failureTerminationLine,
  finalFields,
  startFields,
  startMessage,
  successTerminationLine,
  warnUnknownVariables,
} from './report/events.ts';
import { type FailureFacts, failureMessage, noFacts, RunFacts } from './report/run-facts.ts';
import { run } from './run.ts';

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
  { write, writeStderr }: RunOutput,
): Promise<number> {
  const startupMs = watchStartupMs();
  const interactive = process.stdout.isTTY === true;
  registerRawSecrets(redactor, argv, env);
  let invocation: Invocation;
  try {
    invocation = loadConfig(argv, env, interactive, (raw) => redactor.addRaw(raw));
  } catch (caught) {
    // Until the configuration is valid, log in the format it asks for if it can be read at all.
    const logger = new Logger({
      format: earlyLogFormat(argv, env, interactive),
      redactor,
      write,
      interactive,
    });
    warnUnknownVariables(logger, env);
    const error = toLoaderError(caught);
    logFailure(logger, error, noFacts, startedAt, startupMs());
    // Kubernetes shows this in `kubectl describe pod` even for a misconfigured pod.
    const terminationLog = earlyTerminationLogPath(argv, env);
    leaveTerminationMessage(
      terminationLog,
      failureTerminationLine(error, noFacts, redactor),
      writeStderr,
    );
    return error.exitCode;
  }
  if (invocation.kind !== 'run') {
    write(invocation.kind === 'help' ? helpText(loaderVersion) : `${loaderVersion}\n`);
    return ExitCode.ok;
  }
  const { config } = invocation;
  const logger = new Logger({ format: config.logFormat, redactor, write, interactive });
  if (config.artifact.kind === 'url') redactor.addUrl(config.artifact.url);
  if (config.signatureUrl !== undefined) redactor.addUrl(config.signatureUrl);
  warnUnknownVariables(logger, env);
  logger.info('start', startMessage(config), startFields(config));
  return fetchArtifact(config, logger, { startedAt, startupMs, exit, writeStderr });
}

/** The configured run, within its lifecycle; its final event and termination line. */
async function fetchArtifact(
  config: LoaderConfig,
  logger: Logger,
  { startedAt, startupMs, exit, writeStderr }: RunEdge,
): Promise<number> {
  // What the run learns on its way to a failure, told with the error that ends it.
  const facts = new RunFacts();
  const lifecycle = startLifecycle({
    startedAt,
    deadlineMs: config.deadlineMs,
    deadlineSetting: settings.deadlineMs.env,
    graceMs: abortGraceMs,
    abandon: (error, why) => {
      const about = facts.about(error);
      logger.error(
        'failed',
        `${error.message} (${why})`,
        finalFields(error, about, startedAt, startupMs()),
      );
      // Written synchronously, and never waiting on the file: the process exits right after.
      leaveTerminationMessage(
        config.terminationLogPath,
        failureTerminationLine(error, about, redactor, why),
        writeStderr,
      );
      exit(error.exitCode);
    },
  });
  const client = new HttpClient(config);
  const { remainingMs } = lifecycle;
  const deps = { logger, redactor, client, userAgent, remainingMs, facts };
  let ending: { exitCode: number; terminationLine: string };
  try {
    const result = await run(config, deps, lifecycle.signal);
    const fields = doneFields(result, config, startedAt, startupMs());
    logger.info('done', doneMessage(result, config.outputPath), fields);
    const terminationLine = successTerminationLine(result, config.outputPath, redactor);
    ending = { exitCode: ExitCode.ok, terminationLine };
  } catch (caught) {
    const reason = lifecycle.signal.aborted ? lifecycle.signal.reason : caught;
    const error = toLoaderError(reason);
    const about = facts.about(error);
    logFailure(logger, error, about, startedAt, startupMs());
    ending = {
      exitCode: error.exitCode,
      terminationLine: failureTerminationLine(error, about, redactor),
    };
  } finally {
    lifecycle.dispose();
    client.close();
  }
  leaveTerminationMessage(config.terminationLogPath, ending.terminationLine, writeStderr);
  return ending.exitCode;
}

/** The termination message, or one stderr line saying why a file that is there was left alone. */
function leaveTerminationMessage(
  path: string,
  line: string,
  writeStderr: (text: string) => void,
): void {
  const { skipped } = writeTerminationMessage(path, line);
  if (skipped !== undefined) {
    writeStderr(`runtime-loader: termination message not written: ${redactor.scrub(skipped)}\n`);
  }
}

/** What the edge gives the run: when it started, its start-up time, the one exit, and stderr. */
interface RunEdge {
  readonly startedAt: number;
  readonly startupMs: () => number | undefined;
  readonly exit: (code: number) => never;
  readonly writeStderr: (text: string) => void;
}

/** The final `failed` event: the error, and the run's facts about it. */
function logFailure(
  logger: Logger,
  error: LoaderError,
  facts: FailureFacts,
  startedAt: number,
  startupMs: number | undefined,
): void {
  logger.error(
    'failed',
    failureMessage(error, facts),
    finalFields(error, facts, startedAt, startupMs),
  );
}
