/**
 * What a run reports: its result when it succeeds, and otherwise the facts it
 * learned on its way to the failure, told with the error that ends it.
 */
import { LoaderError } from '../errors.ts';

/** What a successful run did: told by the done event and the termination line. */
export interface RunResult {
  readonly outcome: 'downloaded' | 'already-present' | 'not-modified' | 'kept-verified';
  readonly bytes: number;
  readonly sha256: string;
  readonly attempts: number;
  readonly resumedBytes: number;
  /** For kept-verified: why the server could not confirm the file. */
  readonly reason?: string;
  /** For an `oci://` artifact: the manifest digest the JAR in place came from, when known. */
  readonly manifestDigest?: string;
  /** The publisher's key that signed the file (checked now, or by the run its record is from), when keys are given. */
  readonly signedBy?: string;
}

type Recorded = { -readonly [K in keyof FailureFacts]: FailureFacts[K] };

/**
 * What the run learns on its way to a failure, recorded as it happens by the
 * layer that sees it: the retry listener (why retries stopped, the last
 * failure before a cut), the parts (their bytes written), the run (its
 * attempts, the temp file's bytes and digest). These are facts of the run, not
 * of an error: an error's details are set where it is made and never change.
 * Each fact is about the failure it explains, so it is told only with that
 * one: the error the run throws, or the cut that ended it (see about()).
 * Anything but a LoaderError is a bug, reported with no facts.
 */
export class RunFacts {
  readonly #about = new WeakMap<LoaderError, Recorded>();

  /** The retries of `error` stopped before their budget: `why`. */
  gaveUp(error: LoaderError, why: string): void {
    this.#of(error).gaveUp = why;
  }

  /** `reason` (the deadline, a signal, another part's failure) cut a loop whose last attempt failed with `lastFailure`; the first cut told counts. */
  cutShort(reason: unknown, lastFailure: LoaderError): void {
    if (reason instanceof LoaderError) this.#of(reason).lastFailure ??= lastFailure.message;
  }

  /** The bytes written when `error` ended a stage; the first told (the parts', then the run's) counts. */
  wrote(error: unknown, bytes: number): void {
    if (error instanceof LoaderError) this.#of(error).bytes ??= bytes;
  }

  /** The run's attempts when `error` ended it. */
  attempts(error: unknown, attempts: number): void {
    if (error instanceof LoaderError) this.#of(error).attempts = attempts;
  }

  /** The digest of the complete body `error` refused, unless the error names one itself. */
  refusedDigest(error: unknown, sha256: string): void {
    if (error instanceof LoaderError && error.details.sha256 === undefined)
      this.#of(error).sha256 ??= sha256;
  }

  /** The facts that explain `error`, in the order the failed event shows them. */
  about(error: LoaderError): FailureFacts {
    const recorded = this.#about.get(error);
    if (recorded === undefined) return {};
    const { attempts, gaveUp, lastFailure, bytes, sha256 } = recorded;
    return {
      ...(attempts === undefined ? {} : { attempts }),
      ...(gaveUp === undefined ? {} : { gaveUp }),
      ...(lastFailure === undefined ? {} : { lastFailure }),
      ...(bytes === undefined ? {} : { bytes }),
      ...(sha256 === undefined ? {} : { sha256 }),
    };
  }

  #of(error: LoaderError): Recorded {
    let recorded = this.#about.get(error);
    if (recorded === undefined) {
      recorded = {};
      this.#about.set(error, recorded);
    }
    return recorded;
  }
}

/**
 * The facts of the run told with the error that ends it, in the order the
 * `failed` event shows them, after the error's own details: how many attempts
 * the run made, why its retries stopped, the last failure before a cut, the
 * bytes written, the digest of a complete body that was refused. A fact not
 * known is absent (not undefined), so it never hides an own detail.
 */
export interface FailureFacts {
  /** 1 plus every retry, once a request was made (see DownloadSession). */
  readonly attempts?: number;
  /** Why the retries stopped before their budget ran out. */
  readonly gaveUp?: string;
  /** For a run cut short (deadline, signal, another part's failure): why its last attempt failed. */
  readonly lastFailure?: string;
  /** Bytes written to the temp file (of the parts, when the parts failed). */
  readonly bytes?: number;
  /** For audit: the digest of a complete body that was refused. */
  readonly sha256?: string;
}

/** A failure before the run made any request: nothing to tell besides the error. */
export const noFacts: FailureFacts = {};

/** The error's message, and for a run cut short (deadline, signal) why its last attempt failed. */
export function failureMessage(error: LoaderError, { lastFailure }: FailureFacts): string {
  return lastFailure === undefined
    ? error.message
    : `${error.message}; the last attempt failed: ${lastFailure}`;
}
