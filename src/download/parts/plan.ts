import type { Part } from './part.ts';

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

/** Parts below this size are not worth a request of their own. */
const minPartBytes = 8 * 1024 * 1024;
/** Parts per connection: enough for the in-order digest to keep up, few enough requests. */
const partsPerConnection = 4;

/**
 * How many parts to split a download on `connections` connections into. More
 * parts than connections, taken in order, keep the written prefix of the file
 * growing during the download, so the digest can follow it instead of reading
 * the whole file after the last byte (see ordered-digest.ts). At least one part per
 * connection, at most four, none smaller than 8 MiB unless that leaves fewer
 * parts than connections.
 */
export function partCountFor(sizeBytes: number, connections: number): number {
  const bySize = Math.ceil(sizeBytes / minPartBytes);
  return Math.max(connections, Math.min(connections * partsPerConnection, bySize));
}
