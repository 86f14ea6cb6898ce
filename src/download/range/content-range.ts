/** A Content-Range of bytes: first and last byte (both included), and the total when it is given. */
export interface ContentRange {
  readonly firstByte: number;
  readonly lastByte: number;
  readonly totalBytes: number | undefined;
}

/** Parses `Content-Range: bytes first-last/total` (RFC 9110 §14.4); undefined when malformed. */
export function parseContentRange(value: string | string[] | undefined): ContentRange | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  const match =
    raw === undefined ? null : /^bytes ([0-9]+)-([0-9]+)\/([0-9]+|\*)$/.exec(raw.trim());
  if (match === null) return undefined;
  const [, first, last, total] = match;
  const firstByte = Number(first);
  const lastByte = Number(last);
  if (!Number.isSafeInteger(firstByte) || !Number.isSafeInteger(lastByte) || lastByte < firstByte)
    return undefined;
  return { firstByte, lastByte, totalBytes: total === '*' ? undefined : Number(total) };
}
