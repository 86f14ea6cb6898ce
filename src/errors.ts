/**
 * Every failure the loader can report is one of these classes. Each carries a
 * stable string `code`, the process `exitCode` it maps to, whether a retry could
 * help (`transient`), and the underlying `cause`. Messages never contain the
 * artifact URL's query, userinfo or fragment: build them with `redactUrl`.
 */
export const ExitCode = {
  ok: 0,
  internal: 1,
  config: 2,
  rejected: 3,
  fetch: 4,
  size: 5,
  integrity: 6,
  write: 7,
  sigint: 130,
  sigterm: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** What each exit code means, in a few words: --help lists them (exitCodeList). */
export const exitCodeMeaning: { readonly [K in keyof typeof ExitCode]: string } = {
  ok: 'ok',
  internal: 'internal error',
  config: 'configuration',
  rejected: 'rejected by server',
  fetch: 'fetch failed',
  size: 'size mismatch',
  integrity: 'integrity',
  write: 'cannot write',
  sigint: 'interrupted',
  sigterm: 'interrupted',
};

/** `0 ok, 1 internal error, ..., 130/143 interrupted`: codes of one meaning are listed together. */
export function exitCodeList(): string {
  const codesByMeaning = new Map<string, number[]>();
  for (const [name, code] of Object.entries(ExitCode)) {
    const meaning = exitCodeMeaning[name as keyof typeof ExitCode];
    codesByMeaning.set(meaning, [...(codesByMeaning.get(meaning) ?? []), code]);
  }
  return [...codesByMeaning].map(([meaning, codes]) => `${codes.join('/')} ${meaning}`).join(', ');
}

interface LoaderErrorOptions {
  cause?: unknown;
  transient?: boolean;
  /** A server-requested wait (`Retry-After`), already converted to milliseconds. */
  retryAfterMs?: number;
  /** Extra structured fields for the final log event, set here once: what the run learns later travels as its FailureFacts. */
  details?: Readonly<Record<string, unknown>>;
}

export abstract class LoaderError extends Error {
  abstract readonly code: string;
  abstract readonly exitCode: ExitCodeValue;
  readonly transient: boolean;
  readonly retryAfterMs: number | undefined;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(message: string, options: LoaderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.transient = options.transient ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details ?? {};
  }
}

/** A missing or invalid environment variable or flag. */
export class ConfigError extends LoaderError {
  readonly code = 'ERR_CONFIG';
  readonly exitCode = ExitCode.config;
}

/** The server refused the request for good: 4xx other than 408/425/429 (and a proxy's 407). */
export class RejectedError extends LoaderError {
  readonly code = 'ERR_REJECTED';
  readonly exitCode = ExitCode.rejected;
}

/** Network failure, 5xx, timeout, truncated body, a proxy's refusal: usually worth another attempt. */
export class FetchError extends LoaderError {
  readonly code = 'ERR_FETCH';
  readonly exitCode = ExitCode.fetch;
}

/** The overall deadline ran out before the artifact was in place. */
export class DeadlineError extends LoaderError {
  readonly code = 'ERR_DEADLINE';
  readonly exitCode = ExitCode.fetch;
}

/** The server announced or sent a different number of bytes than expected. */
export class SizeMismatchError extends LoaderError {
  readonly code = 'ERR_SIZE_MISMATCH';
  readonly exitCode = ExitCode.size;
}

/** The bytes arrived but are not the expected artifact (digest or JAR structure). */
export class IntegrityError extends LoaderError {
  readonly code = 'ERR_INTEGRITY';
  readonly exitCode = ExitCode.integrity;
}

/** The artifact could not be written: permissions, read-only file system, disk full. */
export class WriteError extends LoaderError {
  readonly code = 'ERR_WRITE';
  readonly exitCode = ExitCode.write;
}

/** SIGINT or SIGTERM arrived: the run was abandoned and cleaned up. */
export class InterruptedError extends LoaderError {
  readonly code = 'ERR_INTERRUPTED';
  readonly exitCode: ExitCodeValue;
  readonly signal: 'SIGINT' | 'SIGTERM';

  constructor(signal: 'SIGINT' | 'SIGTERM') {
    super(`interrupted by ${signal}`);
    this.signal = signal;
    this.exitCode = signal === 'SIGINT' ? ExitCode.sigint : ExitCode.sigterm;
  }
}

/** Anything that is not a LoaderError is a bug: wrap it so it exits 1 with its cause. */
export class InternalError extends LoaderError {
  readonly code = 'ERR_INTERNAL';
  readonly exitCode = ExitCode.internal;
}

export function toLoaderError(error: unknown): LoaderError {
  if (error instanceof LoaderError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new InternalError(`unexpected internal error: ${message}`, { cause: error });
}
