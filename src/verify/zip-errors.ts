import { IntegrityError } from '../errors.ts';

/** The short prefix of every zip verification message, so logs can be read and grepped by kind. */
export type ZipFailureCategory =
  | 'not a zip archive'
  | 'corrupt zip archive'
  | 'unsupported zip archive'
  | 'empty zip archive'
  | 'unsafe entry name in archive';

/** An IntegrityError whose message is `category: text` and whose details carry a stable `reason`. */
export function zipFailure(
  category: ZipFailureCategory,
  reason: string,
  text: string,
  details: Record<string, unknown> = {},
): IntegrityError {
  return new IntegrityError(`${category}: ${text}`, { details: { reason, ...details } });
}

export function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
