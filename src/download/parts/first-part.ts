import { artifactHeaders, discardBody, type Response } from '../http/request.ts';
import { acceptAnswer, notTheRangeReason } from '../range/accept.ts';
import type { Validator } from '../range/validator.ts';
import type { AttemptContext } from '../session.ts';
import type { Part } from './part.ts';

/** The answer to the first request: part 0 under way, and the version it is of. */
export interface FirstPart {
  readonly response: Response;
  readonly validator: Validator;
}

/** What the answer to the first request allows. */
export type Opening =
  /** Part 0 of a version the other parts can be checked against: fetch the rest in parts. */
  | ({ readonly kind: 'parts' } & FirstPart)
  /** A 200 (the server ignores Range): the whole file, already under way on this connection. */
  | { readonly kind: 'answered-whole'; readonly response: Response; readonly reason: string }
  /** A range, but nothing to prove the parts are of one version: one connection, from byte zero. */
  | { readonly kind: 'from-zero'; readonly reason: string };

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
  const response = await context.source.get(context, headers, signal);
  return openingOf(context, response, firstPart);
}

/** The Range header of the first request: part 0 alone. */
export function firstPartRange(firstPart: Part): { range: string } {
  return { range: `bytes=${firstPart.firstByte}-${firstPart.lastByte}` };
}

/** What an answer to a request for part 0 allows (see openFirstPart); it may come from elsewhere. */
export async function openingOf(
  context: AttemptContext,
  response: Response,
  firstPart: Part,
): Promise<Opening> {
  // A 200 is not judged here: it is the one-connection download already under
  // way, and its attempt takes it through the same acceptance (see acceptAnswer).
  if (response.status === 200) {
    return {
      kind: 'answered-whole',
      response,
      reason: 'the server answered a Range request with 200',
    };
  }
  let streaming = false;
  try {
    const range = { firstByte: firstPart.firstByte, lastByte: firstPart.lastByte };
    const asked = { range, validator: undefined, wholeWelcome: false } as const;
    const decision = await acceptAnswer(response, asked, context);
    if (decision.kind === 'encoded') throw decision.error;
    if (decision.kind === 'not-the-range')
      return { kind: 'from-zero', reason: notTheRangeReason(decision) };
    streaming = true;
    return { kind: 'parts', response, validator: decision.validator };
  } finally {
    if (!streaming) discardBody(response.body);
  }
}
