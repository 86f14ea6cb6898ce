import type { Dispatcher } from 'undici';
import type { LoaderConfig } from '../config/types.ts';
import type { Logger } from '../log/logger.ts';
import type { Redactor } from '../log/redact.ts';
import type { TempArtifact } from '../publish/temp-file.ts';
import { attemptDownload, type ResumeState } from './attempt.ts';
import { ProgressTracker } from './progress.ts';
import { retry } from './retry.ts';

export interface DownloadDependencies {
  readonly dispatcher: Dispatcher;
  readonly logger: Logger;
  readonly redactor: Redactor;
  readonly userAgent: string;
  /** Milliseconds left before the overall deadline. */
  readonly remainingMs: () => number;
}

export interface DownloadReport {
  readonly attempts: number;
  /** Bytes kept from failed attempts and not downloaded again. */
  readonly resumedBytes: number;
}

/** The download stage: attempts wrapped in the retry policy, all into one temp file. */
export async function download(
  config: LoaderConfig,
  deps: DownloadDependencies,
  temp: TempArtifact,
  signal: AbortSignal,
): Promise<DownloadReport> {
  const { logger } = deps;
  const progress = new ProgressTracker(
    config.expectedSizeBytes,
    config.progressIntervalMs,
    (report) =>
      logger.progress(`${report.percent}% of ${config.expectedSizeBytes} bytes`, { ...report }),
  );
  const state: ResumeState = { validator: undefined, resumedBytes: 0 };
  const context = {
    dispatcher: deps.dispatcher,
    maxRedirects: config.maxRedirects,
    stallTimeoutMs: config.stallTimeoutMs,
    redactor: deps.redactor,
    url: config.url,
    expectedSizeBytes: config.expectedSizeBytes,
    userAgent: deps.userAgent,
    logger,
    onBytes: (bytes: number) => progress.update(bytes),
  };
  const policy = {
    maxAttempts: config.maxAttempts,
    baseDelayMs: config.backoffBaseMs,
    maxDelayMs: config.backoffMaxMs,
    remainingMs: deps.remainingMs,
  };
  const { attempts } = await retry(
    () => {
      progress.restart(temp.bytesWritten);
      return attemptDownload(context, temp, state, signal);
    },
    policy,
    signal,
    ({ attempt, error, delayMs }) =>
      logger.warn(
        'retry',
        `attempt ${attempt} failed, retrying in ${delayMs} ms: ${error.message}`,
        {
          attempt,
          reason: error.message,
          errorCode: error.details.errorCode ?? error.code,
          status: error.details.status,
          delayMs,
          keptBytes: temp.bytesWritten,
        },
      ),
  );
  return { attempts, resumedBytes: state.resumedBytes };
}
