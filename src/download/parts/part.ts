/** One part of a download in parts: bytes `firstByte` to `lastByte` of the file, both included. */
export interface Part {
  readonly index: number;
  readonly firstByte: number;
  readonly lastByte: number;
}

export function partSizeBytes(part: Part): number {
  return part.lastByte - part.firstByte + 1;
}
