import type { IncomingHttpHeaders } from 'node:http';
import { parseContentRange } from './content-range.ts';
import { sameVersion, type Validator } from './validator.ts';

/**
 * Range + If-Range asking for bytes from `offsetBytes` (to `lastByte`, or to the
 * end) only if the object is still the same version (RFC 9110 §14.2, §13.1.5):
 * a changed object answers 200 with all of itself instead.
 */
export function resumeHeaders(
  offsetBytes: number,
  validator: Validator,
  lastByte?: number,
): Record<string, string> {
  const ifRange = validator.etag ?? validator.lastModified;
  if (ifRange === undefined) return {};
  return { range: `bytes=${offsetBytes}-${lastByte ?? ''}`, 'if-range': ifRange };
}

/**
 * Why a 206 cannot be taken as bytes `firstByte`-`lastByte` of the version the
 * kept bytes belong to (RFC 9110 §14.4, §15.3.7), or undefined when it can.
 */
export function rangeProblem(
  headers: IncomingHttpHeaders,
  validator: Validator | undefined,
  firstByte: number,
  lastByte: number,
): string | undefined {
  const range = parseContentRange(headers['content-range']);
  if (range === undefined) return 'a 206 without a valid Content-Range';
  if (range.totalBytes === undefined) return 'a 206 whose Content-Range gives no total size';
  if (validator === undefined || !sameVersion(validator, headers))
    return 'a 206 from a changed object (validator differs)';
  if (range.firstByte !== firstByte || range.lastByte !== lastByte)
    return `a 206 for bytes ${range.firstByte}-${range.lastByte} when ${firstByte}-${lastByte} were asked for`;
  return undefined;
}
