import { FetchError, SizeMismatchError } from '../../errors.ts';
import { redactUrl } from '../../urls/shown.ts';
import type { Response } from '../http/request.ts';
import { parseContentRange } from './content-range.ts';

/** The size every answer is held to, and where it comes from (`ARTIFACT_EXPECTED_SIZE`). */
export interface ExpectedSize {
  readonly bytes: number;
  readonly name: string;
}

/**
 * A size announced in a header must be the expected one, before a byte
 * is written. Repeated values (as an array, or a list `1000, 1000`) count as
 * one when they are all the same, as RFC 9110 §8.6 allows a recipient to do;
 * different values are refused at once (RFC 9112 §6.3): no body can match both.
 */
export function checkAnnouncedSize(
  announced: string | string[] | undefined,
  { bytes: expected, name }: ExpectedSize,
  where: string,
  header: string,
): void {
  if (announced === undefined) return;
  const values = [announced].flat().flatMap((value) => value.split(',').map((v) => v.trim()));
  if (!values.every((value) => /^[0-9]+$/.test(value))) return;
  if (new Set(values.map(Number)).size > 1) {
    throw new FetchError(
      `server at ${where} announced conflicting sizes (${header}: ${values.slice(0, 4).join(', ')}); the response cannot be framed (RFC 9112 §6.3) and is not retried`,
      { details: { errorCode: 'INVALID_CONTENT_LENGTH' } },
    );
  }
  const [first = ''] = values;
  if (Number(first) !== expected) {
    throw new SizeMismatchError(
      `size mismatch: ${where} announces ${first} bytes (${header}) but ${name} is ${expected}; nothing was written`,
      { details: { expectedBytes: expected, announcedBytes: Number(first) } },
    );
  }
}

/** The total of a 206's Content-Range, when it gives one, must be the expected size. */
export function checkRangeTotal(response: Response, expected: ExpectedSize): void {
  const total = parseContentRange(response.headers['content-range'])?.totalBytes;
  if (total === undefined) return;
  checkAnnouncedSize(String(total), expected, redactUrl(response.url), 'Content-Range total');
}
