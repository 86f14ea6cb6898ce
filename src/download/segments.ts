/** One part of a download in parts: bytes `firstByte` to `lastByte` of the file, both included. */
export interface Part {
  readonly index: number;
  readonly firstByte: number;
  readonly lastByte: number;
}

/**
 * Splits `sizeBytes` into `count` contiguous parts (fewer when there are fewer
 * bytes) whose sizes differ by one byte at most; the larger ones come first.
 */
export function planParts(sizeBytes: number, count: number): Part[] {
  const parts = Math.max(1, Math.min(count, sizeBytes));
  const baseBytes = Math.floor(sizeBytes / parts);
  const largerParts = sizeBytes % parts;
  // Integer steps, so offsets stay exact for any safe-integer size.
  const startOf = (index: number) => index * baseBytes + Math.min(index, largerParts);
  return Array.from({ length: parts }, (_, index) => ({
    index,
    firstByte: startOf(index),
    lastByte: startOf(index + 1) - 1,
  }));
}

export function partSizeBytes(part: Part): number {
  return part.lastByte - part.firstByte + 1;
}
