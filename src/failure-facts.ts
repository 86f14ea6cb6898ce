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
