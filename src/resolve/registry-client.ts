/**
 * The loader's side of the distribution API for one reference: manifests
 * (GET, or HEAD to learn what a tag points at), the blob request the
 * download core then makes, and for the image's signature the referrers
 * list and small blobs read into memory. Every request goes through http/request.ts, and
 * each origin authenticates on its own (origin-auth.ts).
 *
 * Where each request goes: a tag names a version only at its registry, and
 * a mirror could answer with another, so tags are resolved at the registry
 * alone (a signature's tags and referrers excepted: signatureSources()).
 * What is addressed by digest (a manifest by digest, a blob) is asked
 * of the mirrors first, in order, each with containerd's `?ns=<registry>` so
 * one mirror can serve many registries, and of the registry last. A mirror
 * gets one try per request: a connect error, a timeout, an error status or
 * bytes that do not hash to the digest drop it for the rest of the run
 * (`mirror-dropped`), and the next source is asked at once; the registry
 * gets the whole retry budget. What a mirror sends is checked against the
 * digest exactly as the registry's is, so a mirror needs no trust, and a
 * reference pinned by digest is served by the mirrors alone when the
 * registry is down.
 */

import { namesOf } from '../config/read-setting.ts';
import { settings } from '../config/settings.ts';
import type { RegistrySettings } from '../config/types.ts';
import { errorForNetworkFailure } from '../download/http/classify.ts';
import {
  artifactHeaders,
  discardBody,
  isTransportError,
  type Response,
} from '../download/http/request.ts';
import type { DownloadSession } from '../download/session.ts';
import { type ByteSource, ByteSources, type DownloadTarget } from '../download/target.ts';
import {
  IntegrityError,
  InternalError,
  LoaderError,
  RejectedError,
  WriteError,
} from '../errors.ts';
import { digestProblem, sha256DigestOf } from '../oci/digest.ts';
import type { OciReference } from '../oci/reference.ts';
import { redactUrl } from '../urls/shown.ts';
import { type AuthFile, credentialsFor } from './credentials.ts';
import type { BlobRequest } from './fetch-plan.ts';
import {
  type ImageIndex,
  type ManifestDocument,
  maxManifestBytes,
  parseManifest,
} from './manifest.ts';
import { bareMediaType, manifestAccept, ociIndex } from './media-types.ts';
import { OriginAuth } from './origin-auth.ts';
import { blobUrl, manifestUrl, referrersUrl, registryOrigin } from './registry-endpoint.ts';
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
 * What a request by digest is for: the image's own content, which a mirror
 * must hold, or its signature, which a mirror may lack (a 404 does not drop it).
 */
export type Lookup = 'content' | 'signature';

/** One place an image's signature is looked for: a mirror, or the registry (signatureSources()). */
export interface SignatureSource {
  /** host[:port] of the mirror or the registry. */
  readonly host: string;
  readonly mirror: boolean;
  /** The manifest or index under a signature tag here; undefined when there is none here. */
  tagged(tag: string, signal: AbortSignal): Promise<ManifestDocument | undefined>;
  /** The referrers of a digest here, as referrers() reads them; undefined when there is no list here. */
  referrers(digest: string, signal: AbortSignal): Promise<ImageIndex | undefined>;
}

interface Origin {
  readonly origin: URL;
  readonly auth: OriginAuth;
}

export class RegistryClient {
  readonly reference: OciReference;
  readonly #session: DownloadSession;
  readonly #registry: Origin;
  readonly #mirrors = new Map<string, Origin>();
  /** The mirrors still in use, in order. */
  readonly #live: string[];

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
    // A mirror that names the registry itself would only ask it twice.
    this.#live = registry.mirrors.filter((host) => host !== reference.registry);
    for (const host of this.#live) this.#mirrors.set(host, originOf(host));
  }

  /** The mirrors still in use, in order. */
  get liveMirrors(): readonly string[] {
    return this.#live;
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
    const what = `the manifest ${this.#display(tagOrDigest)}`;
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

  /**
   * The referrers of `digest` (OCI distribution spec 1.1, "Listing Referrers"),
   * asked of the registry alone: an image index of the manifests whose
   * subject it is. Undefined when the registry has no referrers API: the
   * spec says it tells so with a 404, and registries without one also answer
   * 400 or 406, or 200 with something other than an OCI index (a catch-all
   * route), which cosign's client takes as no API too.
   *
   * A registry that cannot list them all in one index sends the rest in
   * further pages, each named by a `Link: <url>; rel="next"` header (RFC
   * 8288): they are read in turn, at most maxReferrersPages of them, and only
   * from the registry's own origin (its credentials go nowhere else); a next
   * page not read is said in a `referrers-truncated` warning. The pages'
   * descriptors are returned as one index.
   */
  referrers(digest: string, signal: AbortSignal): Promise<ImageIndex | undefined> {
    return this.#referrersAt(this.#registry, (url) => url, digest, signal);
  }

  /**
   * Where an image's signature is looked for, in order: each mirror still in
   * use, then the registry. The signature's tags and referrers are mutable,
   * not checked against a digest, but what they lead to is (the signature
   * manifest's payload against the keys and the pulled digest, blobs against
   * their digests), so a mirror is asked for them too. At a mirror a request
   * gets one try; a 404 (or, for the referrers, any answer that says there is
   * no list) is "not here" and keeps the mirror, another failure drops it;
   * either way it yields undefined, and the next source is searched. At the
   * registry the run's retries apply and a failure is thrown.
   */
  signatureSources(): SignatureSource[] {
    return [...this.#live, this.reference.registry].map((host) => {
      const mirror = this.#mirrors.get(host);
      const origin = mirror ?? this.#registry;
      const onSource = (url: URL) => (mirror ? this.#onMirror(url) : url);
      const ask = <T>(request: () => Promise<T>, signal: AbortSignal) =>
        mirror ? this.#atMirror(host, request, signal, 'signature') : request();
      const tagged = async (tag: string, signal: AbortSignal) => {
        const url = onSource(manifestUrl(origin.origin, this.reference, tag));
        const what = `the manifest ${this.#display(tag)}`;
        const get = () => this.#getManifest(origin, url, what, undefined, signal);
        try {
          return await ask(mirror ? get : () => this.#withRetries(get, signal), signal);
        } catch (error) {
          if (error instanceof RejectedError && error.details.status === 404) return undefined;
          throw error;
        }
      };
      const referrers = (digest: string, signal: AbortSignal) =>
        ask(() => this.#referrersAt(origin, onSource, digest, signal), signal);
      return { host, mirror: mirror !== undefined, tagged, referrers };
    });
  }

  /** The referrers of `digest` at one origin, its pages read as referrers() says; one try a page at a mirror. */
  async #referrersAt(
    origin: Origin,
    onSource: (url: URL) => URL,
    digest: string,
    signal: AbortSignal,
  ): Promise<ImageIndex | undefined> {
    const what = `the referrers of ${this.#display(digest)}`;
    const read = (url: URL, first: boolean) => {
      const page = () => this.#referrersPage(origin, onSource(url), what, first, signal);
      return origin === this.#registry ? this.#withRetries(page, signal) : page();
    };
    const first = await read(referrersUrl(origin.origin, this.reference, digest), true);
    if (first === undefined) return undefined;
    const manifests = [...first.index.manifests];
    let next = first.next;
    for (let pages = 1; next !== undefined; pages += 1) {
      const notRead = (why: string) => {
        this.#session.logger.warn(
          'referrers-truncated',
          `not reading more of ${what}: ${why}; ${pages} page(s) read`,
          { pages, reason: why },
        );
      };
      if (next.origin !== origin.origin.origin) {
        notRead(`its next page is on another origin (${next.host}), which gets no credentials`);
        break;
      }
      if (pages >= maxReferrersPages) {
        notRead(`it has more than ${maxReferrersPages} pages`);
        break;
      }
      const page = await read(next, false);
      manifests.push(...(page?.index.manifests ?? []));
      next = page?.next;
    }
    return { ...first.index, manifests };
  }

  /**
   * One page of the referrers and the URL of the next, if the origin names
   * one. The first page may say there is no referrers API (undefined); a later
   * page comes from an origin that has one, so any failure is an error.
   */
  async #referrersPage(
    { auth }: Origin,
    url: URL,
    what: string,
    first: boolean,
    signal: AbortSignal,
  ): Promise<{ readonly index: ImageIndex; readonly next: URL | undefined } | undefined> {
    const headers = { ...artifactHeaders(this.#session.userAgent), accept: ociIndex };
    const response = await auth.send(this.#session.requestContext, url, headers, signal);
    try {
      if (first && noReferrersApi.has(response.status)) return undefined;
      if (response.status !== 200) throw await this.#answerError(response, { auth }, what);
      const contentType = response.headers['content-type'];
      const isIndex = typeof contentType === 'string' && bareMediaType(contentType) === ociIndex;
      if (first && !isIndex) return undefined;
      const body = await readBody(response, maxManifestBytes, signal);
      const document = parseManifest(body, {
        what: `${what} from ${url.host}`,
        contentType: typeof contentType === 'string' ? contentType : undefined,
      });
      if (document.kind !== 'index') {
        throw new IntegrityError(`${what} from ${url.host} is not an image index`);
      }
      return { index: document, next: nextPage(response.headers.link, response.url) };
    } finally {
      discardBody(response.body);
    }
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
        const body = await readBody(response, blob.sizeBytes, signal);
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
      const url = mirror ? this.#onMirror(base) : base;
      return {
        url,
        mirror: mirror ? host : undefined,
        get: (context, headers, signal) => auth.send(context, url, headers, signal),
      };
    };
    const mirrors = this.#live.flatMap((host) => {
      const mirror = this.#mirrors.get(host);
      return mirror === undefined ? [] : [source(host, mirror, true)];
    });
    const registry = source(this.reference.registry, this.#registry, false);
    const sources = new ByteSources([...mirrors, registry], (dropped, error) =>
      this.#dropMirror(dropped.mirror ?? '', error),
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
    for (const host of [...this.#live]) {
      const mirror = this.#mirrors.get(host);
      if (mirror === undefined) continue;
      const url = this.#onMirror(at(mirror.origin));
      const value = await this.#atMirror(host, () => get(mirror, url), signal, lookup);
      if (value !== undefined) return { value, source: host };
    }
    const url = at(this.#registry.origin);
    const value = await this.#withRetries(() => get(this.#registry, url), signal);
    return { value, source: this.reference.registry };
  }

  /**
   * One try of `request` at a mirror still in use: its answer, or undefined
   * when the mirror is no longer in use or failed (it is then dropped). For
   * a `signature` lookup a 404 is undefined and keeps the mirror: a mirror
   * fed by what nodes pulled (Spegel) never holds signatures, and still
   * serves the layer.
   */
  async #atMirror<T>(
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
      if (lookup !== 'signature' || error.details.status !== 404) this.#dropMirror(host, error);
      return undefined;
    }
  }

  /** Drops a mirror for the rest of the run, saying why and what is asked next. */
  #dropMirror(host: string, error: LoaderError): void {
    const index = this.#live.indexOf(host);
    if (index < 0) return;
    this.#live.splice(index, 1);
    const next = this.#live[0];
    const then =
      next === undefined ? `the registry ${this.reference.registry}` : `the mirror ${next}`;
    this.#session.logger.warn(
      'mirror-dropped',
      `not asking the mirror ${host} again in this run: ${error.message}; asking ${then}`,
      {
        mirror: host,
        reason: error.message,
        status: error.details.status,
        errorCode: error.details.errorCode ?? error.code,
        next: next ?? this.reference.registry,
      },
    );
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
      const body = await readBody(response, maxManifestBytes, signal);
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
    for (const { origin, auth } of [this.#registry, ...this.#mirrors.values()]) {
      if (origin.host === answered.host) return auth.advice();
    }
    return `the storage the registry redirected the blob request to (${redactUrl(answered)}) refused it; the registry's signed URL for it may be wrong or expired`;
  }

  #manifestHeaders(): Record<string, string> {
    return { ...artifactHeaders(this.#session.userAgent), accept: manifestAccept };
  }

  /** `?ns=<registry>`, as containerd asks a mirror, so it knows which registry is meant. */
  #onMirror(url: URL): URL {
    const onMirror = new URL(url);
    onMirror.searchParams.set('ns', this.reference.registry);
    return onMirror;
  }

  #display(tagOrDigest: string): string {
    const { registry, repository } = this.reference;
    const separator = digestProblem(tagOrDigest) === undefined ? '@' : ':';
    return `oci://${registry}/${repository}${separator}${tagOrDigest}`;
  }

  /** A request to the registry in the run's retry policy, each retry logged and counted. */
  #withRetries<T>(operation: () => Promise<T>, signal: AbortSignal): Promise<T> {
    return this.#session.newLoop().run(operation, signal, this.#session.onRetry());
  }
}

/** Pages of one referrers list read at most; a real image has a handful of referrers. */
export const maxReferrersPages = 10;

/**
 * The target of the `rel="next"` link in a Link header (RFC 8288 §3: `<uri>`
 * and parameters, links separated by commas, `rel` a space-separated list),
 * resolved against the page it came with; undefined when there is none.
 */
export function nextPage(link: string | string[] | undefined, page: URL): URL | undefined {
  const links = [link ?? []].flat().join(',');
  for (const match of links.matchAll(/<([^>]*)>([^<]*)/g)) {
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(match[2] ?? '');
    const relations = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (relations.includes('next') && URL.canParse(match[1] ?? '', page.href)) {
      return new URL(match[1] ?? '', page);
    }
  }
  return undefined;
}

/** Statuses that say a registry has no referrers API: the spec's 404, and what others answer. */
const noReferrersApi: ReadonlySet<number> = new Set([400, 404, 406]);

/** Statuses a HEAD cannot be told apart on without a body: retried, or refused at once. */
function isRetried(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** A failure of the source (not of this machine, not a bug): a mirror is dropped for it. */
function isSourceFailure(error: unknown): error is LoaderError {
  return (
    error instanceof LoaderError &&
    !(error instanceof WriteError) &&
    !(error instanceof InternalError)
  );
}

/** At most `limit` + 1 bytes of a body (a too-large one is told by its size), its failures as fetch errors. */
async function readBody(response: Response, limit: number, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      length += chunk.byteLength;
      if (length > limit) break;
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (!isTransportError(error)) throw error;
    throw errorForNetworkFailure(error, redactUrl(response.url));
  }
  return Buffer.concat(chunks);
}
