import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { FetchError } from '../../errors.ts';
import type { Redactor } from '../../log/redact.ts';
import { redactUrl } from '../../urls/shown.ts';
import { errorForNetworkFailure } from './classify.ts';

export interface Response {
  readonly status: number;
  readonly statusText: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Dispatcher.ResponseData['body'];
  /** Where the answer came from after redirects; print only with redactUrl. */
  readonly url: URL;
}

export interface RequestContext {
  readonly dispatcher: Dispatcher;
  readonly maxRedirects: number;
  readonly redactor: Redactor;
  /** Silence allowed before the headers and between body chunks. */
  readonly stallTimeoutMs: number;
}

/** Headers of every artifact request: the bytes as stored (no encoding) and who asks. */
export function artifactHeaders(userAgent: string): Record<string, string> {
  return { 'accept-encoding': 'identity', 'user-agent': userAgent };
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

/** How a request differs from a plain GET. */
export interface RequestOptions {
  /** GET (default), HEAD, or POST (with `body`; a POST's redirect is not followed). */
  readonly method?: 'GET' | 'HEAD' | 'POST';
  readonly body?: string;
  /**
   * An Authorization header for `url`'s own origin (a registry's token or
   * Basic credentials): never sent to a redirect target elsewhere, such as
   * the storage a registry sends blob requests to.
   */
  readonly authorization?: string | undefined;
}

/**
 * GET `url`, following at most `maxRedirects` redirects by hand, so that every
 * hop is checked: never from https to http, never to another scheme, and each
 * target's signature is registered with the redactor before anything can log it.
 */
export function getFollowingRedirects(
  context: RequestContext,
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<Response> {
  return requestFollowingRedirects(context, url, headers, signal);
}

/**
 * A request to `url` as getFollowingRedirects makes it, with another method
 * or credentials for its origin (see RequestOptions).
 */
export async function requestFollowingRedirects(
  context: RequestContext,
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal,
  options: RequestOptions = {},
): Promise<Response> {
  const method = options.method ?? 'GET';
  let current = url;
  for (let redirects = 0; ; redirects += 1) {
    const hopHeaders = { ...headers, ...credentialsFor(url, current, options.authorization) };
    let answer: Dispatcher.ResponseData;
    try {
      answer = await abortable(
        context.dispatcher.request({
          origin: current.origin,
          path: `${current.pathname}${current.search}`,
          method,
          headers: hopHeaders,
          ...(options.body === undefined ? {} : { body: options.body }),
          signal,
          // Per request, so they also hold through a proxy's own connections.
          headersTimeout: context.stallTimeoutMs,
          bodyTimeout: context.stallTimeoutMs,
        }),
        signal,
      );
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (!isTransportError(error)) throw error;
      throw errorForNetworkFailure(error, redactUrl(current), true);
    }
    const location = answer.headers.location;
    const follows = method !== 'POST' && redirectStatuses.has(answer.statusCode);
    if (!follows || typeof location !== 'string') {
      return {
        status: answer.statusCode,
        statusText: answer.statusText,
        headers: answer.headers,
        body: answer.body,
        url: current,
      };
    }
    discardBody(answer.body);
    current = nextHop(url, current, location, redirects, context);
  }
}

/**
 * undici acts on the signal only once a request is under way; while it connects
 * (TCP, TLS, a proxy's CONNECT) an abort would wait for the connect timeout.
 * Racing the signal makes SIGTERM and the deadline take effect at once.
 */
function abortable(
  pending: Promise<Dispatcher.ResponseData>,
  signal: AbortSignal,
): Promise<Dispatcher.ResponseData> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      reject(signal.reason);
      // An answer that arrives after the abort is not read.
      pending.then(
        (late) => discardBody(late.body),
        () => {},
      );
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Credentials go to the request's own origin only, never to a redirect
 * target elsewhere (as curl does): those given for it, or the URL's userinfo.
 */
function credentialsFor(
  original: URL,
  current: URL,
  authorization: string | undefined,
): Record<string, string> {
  if (current.origin !== original.origin) return {};
  if (authorization !== undefined) return { authorization };
  if (original.username === '' && original.password === '') return {};
  const credentials = `${decodeURIComponent(original.username)}:${decodeURIComponent(original.password)}`;
  return { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/** Errors of the connection or the protocol carry a code (or are undici's parser error); anything else is our bug. */
export function isTransportError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return typeof (error as { code?: unknown }).code === 'string' || error.name === 'HTTPParserError';
}

/** The URL `from` redirects to, once checked; `start` is where the request began. */
function nextHop(
  start: URL,
  from: URL,
  location: string,
  redirectsSoFar: number,
  context: RequestContext,
): URL {
  const where = redactUrl(from);
  if (redirectsSoFar >= context.maxRedirects) {
    const hops = `${redirectsSoFar} redirect${redirectsSoFar === 1 ? '' : 's'}`;
    throw new FetchError(
      `too many redirects: gave up after ${hops} starting from ${redactUrl(start)} (a redirect loop?)`,
      { details: { redirects: redirectsSoFar } },
    );
  }
  if (!URL.canParse(location, from.href)) {
    throw new FetchError(`server at ${where} redirected to an invalid Location`);
  }
  const target = new URL(location, from);
  context.redactor.addUrl(target);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    // The scheme is the server's text: named only when it is short, and redacted as such.
    const scheme =
      target.protocol.length <= 12
        ? `the scheme ${context.redactor.scrubServerText(target.protocol)}`
        : 'a scheme other than http(s)';
    throw new FetchError(`refused a redirect from ${where} to ${scheme}`);
  }
  if (from.protocol === 'https:' && target.protocol === 'http:') {
    throw new FetchError(
      `refused a redirect from https to http (${where} -> ${redactUrl(target)}): it would expose the download`,
    );
  }
  return target;
}

/** Drops a response body we will not read; undici reports the abort as an error nobody needs. */
export function discardBody(body: Response['body']): void {
  if (body.destroyed) return;
  body.on('error', () => {});
  body.destroy();
}
