import type { FileValidators } from './validators.ts';

export type RangeDecision =
  | { readonly kind: 'full' }
  | { readonly kind: 'partial'; readonly firstByte: number; readonly lastByte: number }
  | { readonly kind: 'unsatisfiable' };

/**
 * What to send for a GET or HEAD with these Range and If-Range fields
 * (RFC 9110 §14.2, §13.1.5). One range is served as a 206; a range the file
 * cannot satisfy is a 416; several ranges, an unknown unit or bad syntax are
 * ignored and the whole file is sent, as the RFC allows.
 */
export function decideRange(
  range: string | undefined,
  ifRange: string | undefined,
  sizeBytes: number,
  validators: FileValidators,
): RangeDecision {
  const full = { kind: 'full' } as const;
  if (range === undefined) return full;
  if (ifRange !== undefined && !ifRangeMatches(ifRange.trim(), validators)) return full;
  const match = /^bytes=\s*([0-9]*)-([0-9]*)\s*$/i.exec(range.trim());
  if (match === null) return full;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return full;
  if (first === '') {
    // A suffix range: the last N bytes.
    const suffixBytes = Number(last);
    if (suffixBytes === 0 || sizeBytes === 0) return { kind: 'unsatisfiable' };
    return {
      kind: 'partial',
      firstByte: Math.max(0, sizeBytes - suffixBytes),
      lastByte: sizeBytes - 1,
    };
  }
  const firstByte = Number(first);
  const lastWanted = last === '' ? Number.POSITIVE_INFINITY : Number(last);
  if (!Number.isSafeInteger(firstByte) || lastWanted < firstByte) return full;
  if (firstByte >= sizeBytes) return { kind: 'unsatisfiable' };
  return { kind: 'partial', firstByte, lastByte: Math.min(lastWanted, sizeBytes - 1) };
}

/** An entity tag matches only strongly and exactly; a date only when it is Last-Modified and strong. */
function ifRangeMatches(ifRange: string, validators: FileValidators): boolean {
  if (ifRange.startsWith('"')) return ifRange === validators.etag;
  if (ifRange.startsWith('W/')) return false;
  const date = Date.parse(ifRange);
  return (
    validators.lastModifiedIsStrong &&
    !Number.isNaN(date) &&
    date === Date.parse(validators.lastModified)
  );
}

/** The bytes a 200 or 206 sends, both ends included, out of a file of `sizeBytes`. */
export interface ByteSpan {
  readonly firstByte: number;
  readonly lastByte: number;
  readonly lengthBytes: number;
  readonly sizeBytes: number;
  /** True for a 206 (even one that happens to cover the whole file), false for a 200. */
  readonly partial: boolean;
}

/** The whole file for a full answer, the range for a partial one. */
export function spanOf(
  decision: Exclude<RangeDecision, { kind: 'unsatisfiable' }>,
  sizeBytes: number,
): ByteSpan {
  const partial = decision.kind === 'partial';
  const [firstByte, lastByte] = partial
    ? [decision.firstByte, decision.lastByte]
    : [0, sizeBytes - 1];
  return { firstByte, lastByte, lengthBytes: lastByte - firstByte + 1, sizeBytes, partial };
}
