import type { AttemptContext } from '../attempt-context.ts';
import { discardBody, type Response } from '../http/request.ts';
import { acceptAnswer, notTheRangeReason } from '../range/accept.ts';
import type { FirstPart } from './first-part.ts';
import type { Part } from './part.ts';

/** What the answer to the first request allows. */
export type Opening =
  /** Part 0 of a version the other parts can be checked against: fetch the rest in parts. */
  | ({ readonly kind: 'parts' } & FirstPart)
  /** A 200 (the server ignores Range): it is the whole download already under way. */
  | { readonly kind: 'whole'; readonly response: Response; readonly reason: string }
  /** A range, but nothing to prove the parts are of one version: one connection from zero. */
  | { readonly kind: 'single'; readonly reason: string };

/** What an answer to a request for part 0 allows (see openFirstPart); it may come from elsewhere. */
export async function openingOf(
  context: AttemptContext,
  response: Response,
  firstPart: Part,
): Promise<Opening> {
  // A 200 is not judged here: it is the one-connection download already under
  // way, and its attempt takes it through the same acceptance (see acceptAnswer).
  if (response.status === 200) {
    return { kind: 'whole', response, reason: 'the server answered a Range request with 200' };
  }
  let streaming = false;
  try {
    const range = { firstByte: firstPart.firstByte, lastByte: firstPart.lastByte };
    const asked = { range, validator: undefined, wholeWelcome: false } as const;
    const decision = await acceptAnswer(response, asked, context);
    if (decision.kind === 'encoded') throw decision.error;
    if (decision.kind === 'not-the-range')
      return { kind: 'single', reason: notTheRangeReason(decision) };
    streaming = true;
    return { kind: 'parts', response, validator: decision.validator };
  } finally {
    if (!streaming) discardBody(response.body);
  }
}
