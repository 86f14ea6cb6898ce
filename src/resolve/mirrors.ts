/**
 * The mirrors of one registry, as the registry client asks them: in order,
 * each with containerd's `?ns=<registry>` so one mirror can serve many
 * registries. A mirror gets one try per request: a connect error, a timeout,
 * an error status or bytes that do not hash to the digest drop it for the
 * rest of the run (`mirror-dropped`), and the next source is asked at once.
 */

import { InternalError, LoaderError, WriteError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { OriginAuth } from './origin-auth.ts';

/** An origin the client asks, the registry's or a mirror's, and its credentials. */
export interface Origin {
  readonly origin: URL;
  readonly auth: OriginAuth;
}

/**
 * What a request by digest is for: the image's own content, which a mirror
 * must hold, or its signature, which a mirror may lack (a 404 does not drop it).
 */
export type Lookup = 'content' | 'signature';

export class Mirrors {
  readonly #registry: string;
  readonly #logger: Logger;
  readonly #origins = new Map<string, Origin>();
  /** The mirrors still in use, in order. */
  readonly #live: string[];

  constructor(
    hosts: readonly string[],
    registry: string,
    originOf: (host: string) => Origin,
    logger: Logger,
  ) {
    this.#registry = registry;
    this.#logger = logger;
    // A mirror that names the registry itself would only ask it twice.
    this.#live = hosts.filter((host) => host !== registry);
    for (const host of this.#live) this.#origins.set(host, originOf(host));
  }

  /** The mirrors still in use, in order. */
  get live(): readonly string[] {
    return this.#live;
  }

  /** The origin of a mirror, in use or dropped. */
  origin(host: string): Origin | undefined {
    return this.#origins.get(host);
  }

  /** Every mirror's origin, in use or dropped. */
  origins(): Iterable<Origin> {
    return this.#origins.values();
  }

  /** `?ns=<registry>`, as containerd asks a mirror, so it knows which registry is meant. */
  onMirror(url: URL): URL {
    const onMirror = new URL(url);
    onMirror.searchParams.set('ns', this.#registry);
    return onMirror;
  }

  /**
   * One try of `request` at a mirror still in use: its answer, or undefined
   * when the mirror is no longer in use or failed (it is then dropped). For
   * a `signature` lookup a 404 is undefined and keeps the mirror: a mirror
   * fed by what nodes pulled (Spegel) never holds signatures, and still
   * serves the layer.
   */
  async at<T>(
    host: string,
    request: () => Promise<T>,
    signal: AbortSignal,
    lookup: Lookup,
  ): Promise<T | undefined> {
    if (!this.#live.includes(host)) return undefined;
    try {
      return await request();
    } catch (error) {
      if (signal.aborted || !isSourceFailure(error)) throw error;
      if (lookup !== 'signature' || error.details.status !== 404) this.drop(host, error);
      return undefined;
    }
  }

  /** Drops a mirror for the rest of the run, saying why and what is asked next. */
  drop(host: string, error: LoaderError): void {
    const index = this.#live.indexOf(host);
    if (index < 0) return;
    this.#live.splice(index, 1);
    const next = this.#live[0];
    const then = next === undefined ? `the registry ${this.#registry}` : `the mirror ${next}`;
    this.#logger.warn(
      'mirror-dropped',
      `not asking the mirror ${host} again in this run: ${error.message}; asking ${then}`,
      {
        mirror: host,
        reason: error.message,
        status: error.details.status,
        errorCode: error.details.errorCode ?? error.code,
        next: next ?? this.#registry,
      },
    );
  }
}

/** A failure of the source (not of this machine, not a bug): a mirror is dropped for it. */
function isSourceFailure(error: unknown): error is LoaderError {
  return (
    error instanceof LoaderError &&
    !(error instanceof WriteError) &&
    !(error instanceof InternalError)
  );
}
