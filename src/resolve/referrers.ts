/**
 * The OCI 1.1 referrers API (distribution spec 1.1, "Listing Referrers") and
 * the places an image's signature is looked for, both over the run's
 * registry client: its sources (registry-client.ts) carry the credentials,
 * the `?ns=` of a mirror, the retries and the dropping of a mirror.
 */

import { readBoundedBody } from '../download/http/bounded-body.ts';
import { discardBody } from '../download/http/request.ts';
import { IntegrityError, RejectedError } from '../errors.ts';
import {
  type ImageIndex,
  type ManifestDocument,
  maxManifestBytes,
  parseManifest,
} from './manifest.ts';
import { bareMediaType, ociIndex } from './media-types.ts';
import type { RegistryClient, RegistrySource } from './registry-client.ts';
import { manifestUrl, referrersUrl } from './registry-endpoint.ts';

/** One place an image's signature is looked for: a mirror, or the registry (signatureSources()). */
export interface SignatureSource {
  /** host[:port] of the mirror or the registry. */
  readonly host: string;
  readonly mirror: boolean;
  /** The manifest or index under a signature tag here; undefined when there is none here. */
  tagged(tag: string, signal: AbortSignal): Promise<ManifestDocument | undefined>;
  /** The referrers of a digest here, as referrersAt() reads them; undefined when there is no list here. */
  referrers(digest: string, signal: AbortSignal): Promise<ImageIndex | undefined>;
}

/** Pages of one referrers list read at most; a real image has a handful of referrers. */
export const maxReferrersPages = 10;

/** Statuses that say a registry has no referrers API: the spec's 404, and what others answer. */
const noReferrersApi: ReadonlySet<number> = new Set([400, 404, 406]);

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
export function signatureSources(client: RegistryClient): SignatureSource[] {
  return client.sources().map((source) => {
    const tagged = async (tag: string, signal: AbortSignal) => {
      const url = source.onSource(manifestUrl(source.origin, client.reference, tag));
      const what = `the manifest ${client.display(tag)}`;
      const get = () => source.manifest(url, what, signal);
      try {
        return await source.lookup(() => source.tried(get, signal), signal);
      } catch (error) {
        if (error instanceof RejectedError && error.details.status === 404) return undefined;
        throw error;
      }
    };
    const referrers = (digest: string, signal: AbortSignal) =>
      source.lookup(() => referrersAt(client, source, digest, signal), signal);
    return { host: source.host, mirror: source.mirror, tagged, referrers };
  });
}

/**
 * The referrers of `digest` at one source (OCI distribution spec 1.1,
 * "Listing Referrers"): an image index of the manifests whose subject it is;
 * one try a page at a mirror. Undefined when the source has no referrers
 * API: the spec says it tells so with a 404, and registries without one also
 * answer 400 or 406, or 200 with something other than an OCI index (a
 * catch-all route), which cosign's client takes as no API too.
 *
 * A source that cannot list them all in one index sends the rest in
 * further pages, each named by a `Link: <url>; rel="next"` header (RFC
 * 8288): they are read in turn, at most maxReferrersPages of them, and only
 * from the source's own origin (its credentials go nowhere else); a next
 * page not read is said in a `referrers-truncated` warning. The pages'
 * descriptors are returned as one index.
 */
async function referrersAt(
  client: RegistryClient,
  source: RegistrySource,
  digest: string,
  signal: AbortSignal,
): Promise<ImageIndex | undefined> {
  const what = `the referrers of ${client.display(digest)}`;
  const read = (url: URL, first: boolean) =>
    source.tried(() => referrersPage(source, source.onSource(url), what, first, signal), signal);
  const first = await read(referrersUrl(source.origin, client.reference, digest), true);
  if (first === undefined) return undefined;
  const manifests = [...first.index.manifests];
  let next = first.next;
  for (let pages = 1; next !== undefined; pages += 1) {
    const notRead = (why: string) => {
      client.logger.warn(
        'referrers-truncated',
        `not reading more of ${what}: ${why}; ${pages} page(s) read`,
        { pages, reason: why },
      );
    };
    if (next.origin !== source.origin.origin) {
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
async function referrersPage(
  source: RegistrySource,
  url: URL,
  what: string,
  first: boolean,
  signal: AbortSignal,
): Promise<{ readonly index: ImageIndex; readonly next: URL | undefined } | undefined> {
  const response = await source.send(url, ociIndex, signal);
  try {
    if (first && noReferrersApi.has(response.status)) return undefined;
    if (response.status !== 200) throw await source.answerError(response, what);
    const contentType = response.headers['content-type'];
    const isIndex = typeof contentType === 'string' && bareMediaType(contentType) === ociIndex;
    if (first && !isIndex) return undefined;
    const body = await readBoundedBody(response, maxManifestBytes, signal);
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
