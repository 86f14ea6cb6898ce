/**
 * What the download fetches, as the resolve stage hands it over: where the
 * bytes are (the URL, or a blob's mirrors and its registry), how many there
 * must be, and how an answer that is not the bytes reads as an error. For a
 * signed URL it is the URL with ARTIFACT_EXPECTED_SIZE (urlTarget); the
 * download core knows nothing else of where a target came from.
 */
import { InternalError, type LoaderError, WriteError } from '../errors.ts';
import type { Redactor } from '../log/redact.ts';
import { type UrlValidity, urlValidityOf } from '../urls/expiry.ts';
import { getFollowingRedirects, type RequestContext, type Response } from './http/request.ts';
import { unexpectedAnswerError } from './http/unexpected-answer.ts';

/** One place the bytes can be asked for. */
export interface ByteSource {
  readonly url: URL;
  /** A mirror's host (one try per request, dropped for the run on a failure); undefined for the origin. */
  readonly mirror: string | undefined;
  /** Sends one GET for the bytes: as it is for a URL; for a registry with its authorization. */
  readonly get: (
    context: RequestContext,
    headers: Record<string, string>,
    signal: AbortSignal,
  ) => Promise<Response>;
}

export interface DownloadTarget {
  readonly sources: ByteSources;
  /** Every answer is held to this size, before and while its body is written. */
  readonly expectedSizeBytes: number;
  /** Where that size comes from, as messages name it: `ARTIFACT_EXPECTED_SIZE`. */
  readonly sizeName: string;
  /** A signed URL's validity window, to explain a refusal; undefined when there is none. */
  readonly urlValidity: UrlValidity | undefined;
  /** The error an answer means that is neither the bytes nor a redirect. */
  readonly answerError: (response: Response, expectedStatus: number) => Promise<LoaderError>;
}

/** The target of a signed URL: the URL alone, ARTIFACT_EXPECTED_SIZE, and the URL's refusals. */
export function urlTarget(url: URL, expectedSizeBytes: number, redactor: Redactor): DownloadTarget {
  const urlValidity = urlValidityOf(url);
  const source: ByteSource = {
    url,
    mirror: undefined,
    get: (context, headers, signal) => getFollowingRedirects(context, url, headers, signal),
  };
  return {
    sources: new ByteSources([source]),
    expectedSizeBytes,
    sizeName: 'ARTIFACT_EXPECTED_SIZE',
    urlValidity,
    answerError: (response, expectedStatus) =>
      unexpectedAnswerError(response, expectedStatus, redactor, urlValidity),
  };
}

/**
 * The sources of one download, in the order they are tried: mirrors first,
 * each given one try per request, the origin last with the whole retry
 * budget. A mirror that fails is dropped for the rest of the run (`onDrop`
 * hears why) and the next source answers the same request at once. A blob is
 * content-addressed, so bytes kept from a mirror that broke off are resumed
 * from the next source when its validator is the same (Distribution's blob
 * ETag is the digest itself), and started over otherwise; the digest checked
 * at the end covers every byte, wherever it came from.
 */
export class ByteSources {
  readonly #live: ByteSource[];
  readonly #onDrop: (source: ByteSource, error: LoaderError) => void;
  /** Sources that sent bytes since the file last started over: who to blame for wrong bytes. */
  readonly #asked = new Set<ByteSource>();

  /** `sources` in order, the origin last; at least the origin. */
  constructor(
    sources: readonly ByteSource[],
    onDrop: (source: ByteSource, error: LoaderError) => void = () => {},
  ) {
    if (sources.length === 0) throw new Error('a download needs a source');
    this.#live = [...sources];
    this.#onDrop = onDrop;
  }

  /** The source to ask now: the first still in use. */
  get current(): ByteSource {
    const [first] = this.#live;
    if (first === undefined) throw new Error('no byte source left');
    return first;
  }

  /** Notes that `source` sent bytes of the file as it now is. */
  asked(source: ByteSource): void {
    this.#asked.add(source);
  }

  /** The mirrors that sent bytes since the file last started over (forgetAsked). */
  mirrorsAsked(): ByteSource[] {
    return [...this.#asked].filter((source) => source.mirror !== undefined);
  }

  /** The file starts over: no source has given bytes of it yet. */
  forgetAsked(): void {
    this.#asked.clear();
  }

  /**
   * After `error` from `source`: drops it when it is a mirror, and says
   * whether the request should go to the next source now. A failure to write
   * is no fault of the source; an origin's failures are for its retry policy.
   */
  drop(source: ByteSource, error: LoaderError): boolean {
    if (source.mirror === undefined || error instanceof WriteError) return false;
    if (error instanceof InternalError) return false;
    const index = this.#live.indexOf(source);
    // Another request (a part) already dropped it: the next source is there.
    if (index < 0) return true;
    this.#live.splice(index, 1);
    this.#onDrop(source, error);
    return true;
  }
}
