/**
 * The loader's side of the distribution API for one reference: manifests
 * (GET, or HEAD to learn what a tag points at), the blob request the
 * download core then makes, and small blobs read into memory (a signature's
 * payload; its referrers and tags: referrers.ts). Every request goes through
 * http/request.ts, and each origin authenticates on its own (origin-auth.ts).
 *
 * Where each request goes: a tag names a version only at its registry, and
 * a mirror could answer with another, so tags are resolved at the registry
 * alone (a signature's tags and referrers excepted: referrers.ts).
 * What is addressed by digest (a manifest by digest, a blob) is asked of
 * the mirrors first (mirrors.ts: one try each, a failure drops the mirror)
 * and of the registry last, which gets the whole retry budget. What a
 * mirror sends is checked against the digest exactly as the registry's is,
 * so a mirror needs no trust, and a reference pinned by digest is served by
 * the mirrors alone when the registry is down.
 */

import { namesOf } from '../config/read-setting.ts';
import { settings } from '../config/settings.ts';
import type { RegistrySettings } from '../config/types.ts';
import { readBoundedBody } from '../download/http/bounded-body.ts';
import { artifactHeaders, discardBody, type Response } from '../download/http/request.ts';
import type { DownloadSession } from '../download/session.ts';
import { type ByteSource, ByteSources, type DownloadTarget } from '../download/target.ts';
import { IntegrityError, type LoaderError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { digestProblem, sha256DigestOf } from '../oci/digest.ts';
import type { OciReference } from '../oci/reference.ts';
import { redactUrl } from '../urls/shown.ts';
import { type AuthFile, credentialsFor } from './credentials.ts';
import type { BlobRequest } from './fetch-plan.ts';
import { type ManifestDocument, maxManifestBytes, parseManifest } from './manifest.ts';
import { manifestAccept } from './media-types.ts';
import { type Lookup, Mirrors, type Origin } from './mirrors.ts';
import { OriginAuth } from './origin-auth.ts';
import { blobUrl, manifestUrl, registryOrigin } from './registry-endpoint.ts';
import { registryAnswerError } from './registry-errors.ts';

/** A manifest as fetched: the document, and who sent it (the registry or a mirror). */
export interface FetchedManifest {
  readonly document: ManifestDocument;
  /** host[:port] of the registry or mirror that answered. */
  readonly source: string;
}

/** What a tag points at, as the registry says: its digest, and the document when a GET told it. */
export interface TagAnswer {
  readonly digest: string;
  readonly fetched: FetchedManifest | undefined;
}

/**
 * One place the client asks, a mirror or the registry, as referrers.ts
 * reaches it: each request with this origin's credentials.
 */
export interface RegistrySource {
  /** host[:port] of the mirror or the registry. */
  readonly host: string;
  readonly mirror: boolean;
  /** Its origin, the one its credentials go to. */
  readonly origin: URL;
  /** `url` as asked here: at a mirror with `?ns=<registry>`. */
  onSource(url: URL): URL;
  /** One GET of `url` accepting the media types `accept`; the caller discards the body. */
  send(url: URL, accept: string, signal: AbortSignal): Promise<Response>;
  /** The error an answer other than 200 means, with this origin's advice on credentials. */
  answerError(response: Response, what: string): Promise<LoaderError>;
  /** One GET of the manifest (or index) at `url`, `what` naming it in errors. */
  manifest(url: URL, what: string, signal: AbortSignal): Promise<ManifestDocument>;
  /** A request as this source takes one: at the registry with the run's retries, at a mirror once. */
  tried<T>(request: () => Promise<T>, signal: AbortSignal): Promise<T>;
  /** A signature's lookup: at a mirror a failure yields undefined (a 404 keeps it, another drops it). */
  lookup<T>(request: () => Promise<T>, signal: AbortSignal): Promise<T | undefined>;
}

export class RegistryClient {
  readonly reference: OciReference;
  readonly #session: DownloadSession;
  readonly #registry: Origin;
  readonly #mirrors: Mirrors;

  constructor(
    reference: OciReference,
    registry: RegistrySettings,
    authFile: AuthFile | undefined,
    session: DownloadSession,
  ) {
    this.reference = reference;
    this.#session = session;
    const originOf = (host: string): Origin => ({
      origin: registryOrigin(host, registry.plainHttp),
      auth: new OriginAuth({
        host,
        credentials:
          authFile === undefined
            ? { found: false, note: undefined }
            : credentialsFor(authFile, host),
        authFileSource: authFile?.source,
        repository: reference.repository,
        plainHttp: registry.plainHttp.has(host),
        plainHttpSetting: namesOf(settings.registryPlainHttp),
        userAgent: session.userAgent,
      }),
    });
    this.#registry = originOf(reference.registry);
    this.#mirrors = new Mirrors(registry.mirrors, reference.registry, originOf, session.logger);
  }

  /** The mirrors still in use, in order. */
  get liveMirrors(): readonly string[] {
    return this.#mirrors.live;
  }

  /** The run's logger. */
  get logger(): Logger {
    return this.#session.logger;
  }

  /**
   * What the tag points at now, asked of the registry alone: HEAD with the
   * manifest types, its Docker-Content-Digest. A registry that refuses HEAD
   * (405), answers it without a digest, or refuses it (whose reason and code
   * only a body gives: 401, 403, 404) is asked with GET, and the digest is
   * the document's.
   */
  async tagDigest(tag: string, signal: AbortSignal): Promise<TagAnswer> {
    const url = manifestUrl(this.#registry.origin, this.reference, tag);
    const what = `the manifest ${this.reference.display}`;
    const headed = await this.#withRetries(async () => {
      const response = await this.#registry.auth.send(
        this.#session.requestContext,
        url,
        this.#manifestHeaders(),
        signal,
        'HEAD',
      );
      discardBody(response.body);
      if (isRetried(response.status)) throw await this.#answerError(response, this.#registry, what);
      const digest = response.headers['docker-content-digest'];
      if (response.status === 200 && typeof digest === 'string' && !digestProblem(digest)) {
        return digest;
      }
      return undefined;
    }, signal);
    if (headed !== undefined) return { digest: headed, fetched: undefined };
    const fetched = await this.manifest(tag, undefined, signal);
    return { digest: fetched.document.digest, fetched };
  }

  /**
   * The manifest (or index) `tagOrDigest` names. By digest: from the first
   * mirror that serves it, else the registry, and it must hash to that
   * digest (`expectedDigest`, the digest itself when not given). By tag:
   * from the registry.
   */
  async manifest(
    tagOrDigest: string,
    expectedDigest: string | undefined,
    signal: AbortSignal,
    lookup: Lookup = 'content',
  ): Promise<FetchedManifest> {
    const byDigest = digestProblem(tagOrDigest) === undefined;
    const digest = byDigest ? (expectedDigest ?? tagOrDigest) : expectedDigest;
    const what = `the manifest ${this.display(tagOrDigest)}`;
    const get = (origin: Origin, url: URL) => this.#getManifest(origin, url, what, digest, signal);
    const at = (origin: URL) => manifestUrl(origin, this.reference, tagOrDigest);
    if (!byDigest) {
      const url = at(this.#registry.origin);
      const document = await this.#withRetries(() => get(this.#registry, url), signal);
      return { document, source: this.reference.registry };
    }
    const { value, source } = await this.#byDigest(at, get, signal, lookup);
    return { document: value, source };
  }

  /** The mirrors still in use, in order, then the registry. */
  sources(): RegistrySource[] {
    return [...this.#mirrors.live, this.reference.registry].map((host) => this.#sourceAt(host));
  }

  #sourceAt(host: string): RegistrySource {
    const mirror = this.#mirrors.origin(host);
    const at = mirror ?? this.#registry;
    return {
      host,
      mirror: mirror !== undefined,
      origin: at.origin,
      onSource: (url) => (mirror ? this.#mirrors.onMirror(url) : url),
      send: (url, accept, signal) => {
        const headers = { ...artifactHeaders(this.#session.userAgent), accept };
        return at.auth.send(this.#session.requestContext, url, headers, signal);
      },
      answerError: (response, what) => this.#answerError(response, at, what),
      manifest: (url, what, signal) => this.#getManifest(at, url, what, undefined, signal),
      tried: (request, signal) => (mirror ? request() : this.#withRetries(request, signal)),
      lookup: (request, signal) =>
        mirror ? this.#mirrors.at(host, request, signal, 'signature') : request(),
    };
  }

  /**
   * A small blob read into memory (a signature's payload): from the first
   * mirror that serves it, else the registry, like a manifest by digest. Its
   * descriptor's size must be at most `maxBytes`, and the bytes must be that
   * many and hash to its digest.
   */
  async smallBlob(
    blob: BlobRequest,
    maxBytes: number,
    signal: AbortSignal,
    lookup: Lookup = 'content',
  ): Promise<Buffer> {
    const what = `the blob ${blob.digest}`;
    if (blob.sizeBytes > maxBytes) {
      throw new IntegrityError(
        `${what} is listed as ${blob.sizeBytes} bytes, more than the ${maxBytes} a ${blob.mediaType} blob may be; not fetching it`,
      );
    }
    const get = async ({ auth }: Origin, url: URL): Promise<Buffer> => {
      const headers = artifactHeaders(this.#session.userAgent);
      const response = await auth.send(this.#session.requestContext, url, headers, signal);
      try {
        if (response.status !== 200) {
          throw await registryAnswerError(response, 200, this.#session.requestContext.redactor, {
            what,
            authAdvice: () => this.#adviceFor(response.url),
          });
        }
        const body = await readBoundedBody(response, blob.sizeBytes, signal);
        const actual = sha256DigestOf(body);
        if (actual !== blob.digest) {
          throw new IntegrityError(
            `checksum mismatch: ${what} from ${url.host} as received (${body.length} bytes) hashes to ${actual}`,
            { details: { expectedDigest: blob.digest, actualDigest: actual } },
          );
        }
        return body;
      } finally {
        discardBody(response.body);
      }
    };
    const at = (origin: URL) => blobUrl(origin, this.reference, blob.digest);
    return (await this.#byDigest(at, get, signal, lookup)).value;
  }

  /**
   * The download of one blob: from the mirrors still in use, then the
   * registry, held to the descriptor's size. Its digest is checked after
   * (see pull.ts); the mirrors that sent bytes which do not hash to it are
   * dropped through `sources`.
   */
  blobTarget(blob: BlobRequest): DownloadTarget {
    const source = (host: string, { origin, auth }: Origin, mirror: boolean): ByteSource => {
      const base = blobUrl(origin, this.reference, blob.digest);
      const url = mirror ? this.#mirrors.onMirror(base) : base;
      return {
        url,
        mirror: mirror ? host : undefined,
        get: (context, headers, signal) => auth.send(context, url, headers, signal),
      };
    };
    const mirrors = this.#mirrors.live.flatMap((host) => {
      const mirror = this.#mirrors.origin(host);
      return mirror === undefined ? [] : [source(host, mirror, true)];
    });
    const registry = source(this.reference.registry, this.#registry, false);
    const sources = new ByteSources([...mirrors, registry], (dropped, error) =>
      this.#mirrors.drop(dropped.mirror ?? '', error),
    );
    const what = `the blob ${blob.digest}`;
    return {
      sources,
      expectedSizeBytes: blob.sizeBytes,
      sizeName: "the layer's size in its manifest",
      urlValidity: undefined,
      answerError: (response, expectedStatus) =>
        registryAnswerError(response, expectedStatus, this.#session.requestContext.redactor, {
          what,
          authAdvice: () => this.#adviceFor(response.url),
        }),
    };
  }

  /**
   * What is addressed by digest, from the first mirror still in use that
   * serves it (a mirror that fails is dropped), else from the registry, with
   * the run's retries; `at` is its URL on an origin.
   */
  async #byDigest<T>(
    at: (origin: URL) => URL,
    get: (origin: Origin, url: URL) => Promise<T>,
    signal: AbortSignal,
    lookup: Lookup,
  ): Promise<{ readonly value: T; readonly source: string }> {
    for (const host of [...this.#mirrors.live]) {
      const mirror = this.#mirrors.origin(host);
      if (mirror === undefined) continue;
      const url = this.#mirrors.onMirror(at(mirror.origin));
      const value = await this.#mirrors.at(host, () => get(mirror, url), signal, lookup);
      if (value !== undefined) return { value, source: host };
    }
    const url = at(this.#registry.origin);
    const value = await this.#withRetries(() => get(this.#registry, url), signal);
    return { value, source: this.reference.registry };
  }

  async #getManifest(
    { auth }: Origin,
    url: URL,
    what: string,
    expectedDigest: string | undefined,
    signal: AbortSignal,
  ): Promise<ManifestDocument> {
    const response = await auth.send(
      this.#session.requestContext,
      url,
      this.#manifestHeaders(),
      signal,
    );
    try {
      if (response.status !== 200) throw await this.#answerError(response, { auth }, what);
      const body = await readBoundedBody(response, maxManifestBytes, signal);
      const contentType = response.headers['content-type'];
      return parseManifest(body, {
        what: `${what} from ${url.host}`,
        contentType: typeof contentType === 'string' ? contentType : undefined,
        expectedDigest,
      });
    } finally {
      discardBody(response.body);
    }
  }

  #answerError(response: Response, { auth }: Pick<Origin, 'auth'>, what: string) {
    return registryAnswerError(response, 200, this.#session.requestContext.redactor, {
      what,
      authAdvice: () => auth.advice(),
    });
  }

  /** A 401 or 403 is about the origin that answered; storage behind a redirect has its own reasons. */
  #adviceFor(answered: URL): string {
    for (const { origin, auth } of [this.#registry, ...this.#mirrors.origins()]) {
      if (origin.host === answered.host) return auth.advice();
    }
    return `the storage the registry redirected the blob request to (${redactUrl(answered)}) refused it; the registry's signed URL for it may be wrong or expired`;
  }

  #manifestHeaders(): Record<string, string> {
    return { ...artifactHeaders(this.#session.userAgent), accept: manifestAccept };
  }

  /** `oci://<registry>/<repository>` with `:<tag>` or `@<digest>`. */
  display(tagOrDigest: string): string {
    const { registry, repository } = this.reference;
    const separator = digestProblem(tagOrDigest) === undefined ? '@' : ':';
    return `oci://${registry}/${repository}${separator}${tagOrDigest}`;
  }

  /** A request to the registry in the run's retry policy, each retry logged and counted. */
  #withRetries<T>(operation: () => Promise<T>, signal: AbortSignal): Promise<T> {
    return this.#session.newLoop().run(operation, signal, this.#session.onRetry());
  }
}

/** Statuses a HEAD cannot be told apart on without a body: retried, or refused at once. */
function isRetried(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}
