import type { IncomingHttpHeaders } from 'node:http';
import type { LoaderConfig } from '../config/types.ts';
import { LoaderError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { Redactor } from '../log/redact.ts';
import type { RunFacts } from '../report/run-facts.ts';
import type { HttpClient } from './http/http-client.ts';
import type { RequestContext } from './http/request.ts';
import { ProgressTracker } from './progress.ts';
import { type RetryListener, RetryLoop, type RetryPolicy } from './retry/retry.ts';
import {
  type ObjectVersion,
  objectVersionOf,
  unknownVersion,
} from './revalidate/object-version.ts';
import type { ByteSource, DownloadTarget } from './target.ts';

/** What the run gives the download: built once at the edge (main.ts), passed down. */
export interface DownloadDependencies {
  readonly client: HttpClient;
  readonly logger: Logger;
  readonly redactor: Redactor;
  readonly userAgent: string;
  /** Milliseconds left before the overall deadline. */
  readonly remainingMs: () => number;
  /** Where what the run learns on its way to a failure is recorded. */
  readonly facts: RunFacts;
}

/** What every attempt needs, whether it fetches the whole file, a part, or the first part. */
export interface AttemptContext
  extends RequestContext,
    Pick<DownloadTarget, 'expectedSizeBytes' | 'sizeName' | 'answerError'> {
  /** Where this attempt asks for the bytes (see DownloadSession.fromSources). */
  readonly source: ByteSource;
  readonly userAgent: string;
  readonly logger: Logger;
  /** Hears the bytes received so far of what the attempt fetches (the file, or its part). */
  readonly onBytes: (bytes: number) => void;
  /** Hears the headers of a 200 that begins the file: the version being downloaded. */
  readonly onWholeObject: (headers: IncomingHttpHeaders) => void;
}

/** Whose retries a listener hears (see DownloadSession.onRetry). */
export interface RetriesOf {
  /** The part, for a download in parts: named in the `retry` event. */
  readonly part?: number;
  /** Bytes the next attempt keeps of what this loop fetches; none when absent. */
  readonly keptBytes?: () => number;
  /** What the loop fetches when it is not the artifact: named in the `retry` event. */
  readonly fetching?: 'signature';
}

/**
 * What every request of one run shares, whether it resolves a reference,
 * asks whether the file changed, fetches the whole file or a part: the
 * request context, the retry policy, and the count of attempts: every retry,
 * in all parts together, is counted here and nowhere else. Once aimed at a
 * target (aim), also the attempts' context and one progress tracker.
 */
export class DownloadSession {
  readonly requestContext: RequestContext;
  readonly policy: RetryPolicy;
  readonly logger: Logger;
  /** The run's facts: why retries stopped, the last failure before a cut, bytes written. */
  readonly facts: RunFacts;
  /** Validators of the response that began the file (the 200, or part 0's 206). */
  version: ObjectVersion = unknownVersion;
  /**
   * The retry loop of the first request (the conditional one of a re-run, or
   * the one for part 0), which runs on as the loop of the download that takes
   * its answer over (part 0, or the whole file on one connection). A new one
   * for each target.
   */
  firstRequestLoop: RetryLoop;
  readonly userAgent: string;
  readonly #progressIntervalMs: number;
  #aimed:
    | { target: DownloadTarget; context: AttemptContext; progress: ProgressTracker }
    | undefined;
  #retries = 0;
  #requested = false;

  constructor(config: LoaderConfig, deps: DownloadDependencies) {
    this.logger = deps.logger;
    this.facts = deps.facts;
    this.userAgent = deps.userAgent;
    this.#progressIntervalMs = config.progressIntervalMs;
    this.requestContext = {
      client: deps.client,
      maxRedirects: config.maxRedirects,
      redactor: deps.redactor,
    };
    this.policy = {
      maxAttempts: config.maxAttempts,
      baseDelayMs: config.backoffBaseMs,
      maxDelayMs: config.backoffMaxMs,
      remainingMs: deps.remainingMs,
    };
    this.firstRequestLoop = new RetryLoop(this.policy);
  }

  /**
   * Points the session's attempts at `target`, with a progress tracker of its
   * size and a fresh first-request loop: before the first download, and again
   * when the bytes must be fetched anew (another layer, wrong bytes from a mirror).
   */
  aim(target: DownloadTarget): void {
    const { expectedSizeBytes } = target;
    const progress = new ProgressTracker(expectedSizeBytes, this.#progressIntervalMs, (report) =>
      this.logger.progress(`${report.percent}% of ${expectedSizeBytes} bytes`, { ...report }),
    );
    const context: AttemptContext = {
      ...this.requestContext,
      source: target.sources.current,
      expectedSizeBytes,
      sizeName: target.sizeName,
      answerError: target.answerError,
      userAgent: this.userAgent,
      logger: this.logger,
      onBytes: (bytes: number) => progress.update(bytes),
      onWholeObject: (headers) => {
        this.version = objectVersionOf(headers);
      },
    };
    this.#aimed = { target, context, progress };
    this.version = unknownVersion;
    this.firstRequestLoop = new RetryLoop(this.policy);
  }

  get target(): DownloadTarget {
    return this.#aimedOrThrow().target;
  }

  get context(): AttemptContext {
    return this.#aimedOrThrow().context;
  }

  get progress(): ProgressTracker {
    return this.#aimedOrThrow().progress;
  }

  #aimedOrThrow() {
    if (this.#aimed === undefined) throw new Error('the download session has no target yet');
    return this.#aimed;
  }

  /**
   * Runs one attempt against the target's sources: with the current one, and
   * when that is a mirror that fails, at once again with the next (the
   * mirror is dropped for the run). What the origin, the last source, throws
   * is the attempt's failure, for the retry policy to weigh. `base` is the
   * context to run it in (a part's); by default the session's.
   */
  async fromSources<T>(
    operation: (context: AttemptContext) => Promise<T>,
    signal: AbortSignal,
    base: AttemptContext = this.context,
  ): Promise<T> {
    const { sources } = this.target;
    for (;;) {
      const source = sources.current;
      // A source that sent bytes of the file is answerable for them (see ByteSources.mirrorsAsked).
      const onBytes = (bytes: number) => {
        sources.asked(source);
        base.onBytes(bytes);
      };
      try {
        return await operation({ ...base, source, onBytes });
      } catch (error) {
        if (signal.aborted || !(error instanceof LoaderError) || !sources.drop(source, error))
          throw error;
      }
    }
  }

  /** A retry loop of its own, for other bytes: a part after the first, or a fresh start. */
  newLoop(): RetryLoop {
    return new RetryLoop(this.policy);
  }

  /** 1 plus every retry so far, in any loop and any part: 1 means nothing failed. */
  get attempts(): number {
    return this.#retries + 1;
  }

  /** Whether any request was made: a run stopped before its first has no attempts to report. */
  get requested(): boolean {
    return this.#requested;
  }

  /**
   * A retry listener that logs the `retry` event (naming the part, if any)
   * and counts it, notes that a request was made, and records in the run's
   * facts why retries stopped early and the last failure before a cut.
   */
  onRetry({ part, keptBytes = () => 0, fetching }: RetriesOf = {}): RetryListener {
    const decided: RetryListener['decided'] = ({ attempt, error, delayMs, paced }) => {
      this.#retries += 1;
      const of =
        part !== undefined
          ? ` of part ${part}`
          : fetching !== undefined
            ? ` of the ${fetching}`
            : '';
      const what = paced
        ? 'was paced by the server (not counted against LOADER_MAX_ATTEMPTS)'
        : 'failed';
      this.logger.warn(
        'retry',
        `attempt ${attempt}${of} ${what}, retrying in ${delayMs} ms: ${error.message}`,
        {
          attempt,
          ...(part === undefined ? {} : { part }),
          ...(fetching === undefined ? {} : { fetching }),
          ...(paced ? { paced } : {}),
          reason: error.message,
          errorCode: error.details.errorCode ?? error.code,
          status: error.details.status,
          delayMs,
          keptBytes: keptBytes(),
        },
      );
    };
    return {
      decided,
      started: () => {
        this.#requested = true;
      },
      gaveUp: (error, why) => this.facts.gaveUp(error, why),
      cutShort: (reason, lastFailure) => this.facts.cutShort(reason, lastFailure),
    };
  }
}
