import { FetchError } from '../../errors.ts';
import { redactUrl } from '../../urls/shown.ts';
import type { Response } from '../http/request.ts';
import type { AttemptContext } from '../session.ts';
import { checkAnnouncedSize, checkRangeTotal } from './announced-size.ts';
import { rangeProblem } from './resume.ts';
import { type Validator, validatorOf } from './validator.ts';

/** What a request asked for, to judge its answer by. */
export interface Asked {
  /** Bytes `firstByte`-`lastByte` (both included) were asked for with Range; undefined: no Range. */
  readonly range: { readonly firstByte: number; readonly lastByte: number } | undefined;
  /**
   * The version the bytes must be of (sent as If-Range). Undefined with a
   * range: the first request, whose 206 must prove a version of its own.
   */
  readonly validator: Validator | undefined;
  /** A 200 (the whole object, from byte 0) is taken instead of the range: on one connection. */
  readonly wholeWelcome: boolean;
}

/** What an answer is judged against besides the request: the attempt's context has it. */
export type AnswerContext = Pick<AttemptContext, 'expectedSizeBytes' | 'sizeName' | 'answerError'>;

/** What an answer to a request for the artifact's bytes is, for the caller to act on. */
export type Acceptance =
  /** A 200 where the whole object is welcome, its announced size the expected one. */
  | { readonly kind: 'whole'; readonly validator: Validator | undefined }
  /** A 206 for exactly the bytes asked, of the version asked for (or one it proves). */
  | { readonly kind: 'range'; readonly validator: Validator }
  /**
   * Not the bytes asked for (another range or version, a 416, or a 200 where
   * only the range would do): bytes kept cannot be continued with it. `what`
   * names the answer: `a 206 for bytes ...`, `416 Range Not Satisfiable`.
   */
  | { readonly kind: 'not-the-range'; readonly status: 200 | 206 | 416; readonly what: string }
  /** A 200 or 206 with a Content-Encoding: never the artifact's bytes. */
  | { readonly kind: 'encoded'; readonly error: FetchError };

/**
 * The resume rules, in one place: whether an answer is the bytes a request
 * asked for (RFC 9110 §13.1.5, §14.4, §15.3.7). In order: an encoded body is
 * refused; a 200 is the whole object where that is welcome (its Content-Length
 * must then be the expected size); a 206 must give the expected total, and the
 * exact range asked for, of the version asked for; asked with no version, it
 * must prove one (Accept-Ranges: bytes and a strong validator). Any other
 * status, or an error status, throws the error it means (the retry policy
 * decides); so does an announced size that is not the expected one.
 */
export function acceptAnswer(
  response: Response,
  asked: Asked & { readonly wholeWelcome: false },
  context: AnswerContext,
): Promise<Exclude<Acceptance, { readonly kind: 'whole' }>>;
export function acceptAnswer(
  response: Response,
  asked: Asked,
  context: AnswerContext,
): Promise<Acceptance>;
export async function acceptAnswer(
  response: Response,
  asked: Asked,
  context: AnswerContext,
): Promise<Acceptance> {
  const encoded = encodedBodyError(response);
  if (encoded !== undefined) return { kind: 'encoded', error: encoded };
  const { range } = asked;
  if (response.status === 200 && asked.wholeWelcome) {
    const length = response.headers['content-length'];
    checkAnnouncedSize(
      length,
      { bytes: context.expectedSizeBytes, name: context.sizeName },
      redactUrl(response.url),
      'Content-Length',
    );
    return { kind: 'whole', validator: validatorOf(response.headers) };
  }
  if (range !== undefined && response.status === 206) {
    checkRangeTotal(response, { bytes: context.expectedSizeBytes, name: context.sizeName });
    const version = asked.validator ?? provenVersion(response);
    if (typeof version === 'string') return { kind: 'not-the-range', status: 206, what: version };
    const problem = rangeProblem(response.headers, version, range.firstByte, range.lastByte);
    if (problem !== undefined) return { kind: 'not-the-range', status: 206, what: problem };
    return { kind: 'range', validator: version };
  }
  if (range !== undefined && response.status === 200) {
    return {
      kind: 'not-the-range',
      status: 200,
      what: 'the whole object (200): it ignored the range, or the object changed',
    };
  }
  if (range !== undefined && response.status === 416) {
    return { kind: 'not-the-range', status: 416, what: '416 Range Not Satisfiable' };
  }
  throw await context.answerError(response, asked.wholeWelcome ? 200 : 206);
}

/**
 * The version a 206 to a request that named none shows, or why it shows none:
 * without `Accept-Ranges: bytes` and a strong validator nothing proves that
 * bytes fetched apart are of one object.
 */
function provenVersion(response: Response): Validator | string {
  const acceptRanges = String(response.headers['accept-ranges'] ?? '').toLowerCase();
  if (!acceptRanges.split(',').some((unit) => unit.trim() === 'bytes')) {
    return 'the server does not advertise Accept-Ranges: bytes';
  }
  return (
    validatorOf(response.headers) ??
    'no strong validator (ETag or Last-Modified) to prove the parts are of one version'
  );
}

/** Why an answer that is not the range means starting over, in the words of a `restart` event. */
export function notTheRangeReason(
  decision: Acceptance & { readonly kind: 'not-the-range' },
): string {
  return decision.status === 416 ? `the server answered ${decision.what}` : decision.what;
}

/**
 * Refuses a 200 or 206 whose body is encoded. node:http does not decode, and
 * encoded bytes are not the artifact: offsets, size and digest would all
 * describe something else, and a resume could splice two encodings together.
 * The header sent more than once is one list (RFC 9110 §5.3).
 */
function encodedBodyError(response: Response): FetchError | undefined {
  const header = response.headers['content-encoding'];
  if (response.status !== 200 && response.status !== 206) return undefined;
  if (header === undefined) return undefined;
  const encoding = [header].flat().join(', ');
  if (encoding.trim().toLowerCase() === 'identity') return undefined;
  // A header is server text: shown only when it is what it should be, a short list of names.
  const shown = /^[A-Za-z0-9 ,._-]{1,40}$/.test(encoding) ? encoding : '(a value not shown)';
  return new FetchError(
    `server at ${redactUrl(response.url)} sent the artifact with Content-Encoding "${shown}" although identity was asked for; store the object without a Content-Encoding (S3: remove that metadata)`,
    { details: { contentEncoding: shown } },
  );
}
