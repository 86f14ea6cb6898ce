import type { AttemptContext } from '../attempt-context.ts';
import { discardBody, type Response } from '../http/request.ts';
import { unexpectedAnswerError } from '../http/unexpected-answer.ts';
import { checkRangeTotal } from '../range/announced-size.ts';
import { encodedBodyError } from '../range/encoded-body.ts';
import { rangeProblem } from '../range/resume.ts';
import { type Validator, validatorOf } from '../range/validator.ts';
import type { Part } from './part.ts';

/** What the answer to the first request allows. */
export type Opening =
  /** Part 0 of a version the other parts can be checked against: fetch the rest in parts. */
  | { readonly kind: 'parts'; readonly response: Response; readonly validator: Validator }
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
  if (response.status === 200) {
    return { kind: 'whole', response, reason: 'the server answered a Range request with 200' };
  }
  let streaming = false;
  try {
    if (response.status === 416) {
      return { kind: 'single', reason: 'the server answered 416 Range Not Satisfiable' };
    }
    if (response.status !== 206)
      throw await unexpectedAnswerError(response, 206, context.redactor, context.urlValidity);
    const encoded = encodedBodyError(response);
    if (encoded !== undefined) throw encoded;
    checkRangeTotal(response, context.expectedSizeBytes);
    const version = versionForParts(response, firstPart);
    if (typeof version === 'string') return { kind: 'single', reason: version };
    streaming = true;
    return { kind: 'parts', response, validator: version };
  } finally {
    if (!streaming) discardBody(response.body);
  }
}

/**
 * The version the other parts must come from, or why a 206 to the first
 * request does not allow parts: without `Accept-Ranges: bytes` and a strong
 * validator nothing shows that parts fetched apart are of one object.
 */
function versionForParts(response: Response, firstPart: Part): Validator | string {
  const acceptRanges = String(response.headers['accept-ranges'] ?? '').toLowerCase();
  if (!acceptRanges.split(',').some((unit) => unit.trim() === 'bytes')) {
    return 'the server does not advertise Accept-Ranges: bytes';
  }
  const validator = validatorOf(response.headers);
  if (validator === undefined) {
    return 'no strong validator (ETag or Last-Modified) to prove the parts are of one version';
  }
  return (
    rangeProblem(response.headers, validator, firstPart.firstByte, firstPart.lastByte) ?? validator
  );
}
