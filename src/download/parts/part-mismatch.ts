/**
 * A part that did not come back as asked (a 200, another range, another
 * version, 416): what the parts wrote cannot be shown to be of one version,
 * so the download starts over on one connection. A result, not an error: it
 * is never retried as a part, and never the end of a run.
 */
export interface PartMismatch {
  readonly kind: 'mismatch';
  readonly reason: string;
}
