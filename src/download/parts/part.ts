/** One part of a download in parts: bytes `firstByte` to `lastByte` of the file, both included. */
export interface Part {
  readonly index: number;
  readonly firstByte: number;
  readonly lastByte: number;
}

export function partSizeBytes(part: Part): number {
  return part.lastByte - part.firstByte + 1;
}

/** One part and how far it got: what survives between its attempts. */
export interface PartState {
  readonly part: Part;
  writtenBytes: number;
  /** Bytes of the part that earlier attempts fetched and its latest one did not fetch again. */
  resumedBytes: number;
}

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
