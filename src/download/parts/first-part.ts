import type { AttemptContext } from '../attempt-context.ts';
import { artifactHeaders, getFollowingRedirects, type Response } from '../http/request.ts';
import type { Validator } from '../range/validator.ts';
import { type Opening, openingOf } from './opening.ts';
import type { Part } from './part.ts';

/**
 * The first request of an artifact that may come in parts: a GET for part 0
 * alone, so no HEAD round trip is spent finding out. A 206 for exactly those
 * bytes, with `Accept-Ranges: bytes` and a strong validator, lets the other
 * parts start. A 200 is streamed as the one-connection download, so nothing is
 * wasted on a server that ignores ranges. Error statuses throw as for any
 * attempt (the retry policy decides); so does a 206 whose total is not the
 * expected size, or an encoded body.
 */
export async function openFirstPart(
  context: AttemptContext,
  firstPart: Part,
  signal: AbortSignal,
): Promise<Opening> {
  const headers = { ...artifactHeaders(context.userAgent), ...firstPartRange(firstPart) };
  const response = await getFollowingRedirects(context, context.url, headers, signal);
  return openingOf(context, response, firstPart);
}

/** The Range header of the first request: part 0 alone. */
export function firstPartRange(firstPart: Part): { range: string } {
  return { range: `bytes=${firstPart.firstByte}-${firstPart.lastByte}` };
}

/** The answer to the first request: part 0 under way, and the version it is of. */
export interface FirstPart {
  readonly response: Response;
  readonly validator: Validator;
}
