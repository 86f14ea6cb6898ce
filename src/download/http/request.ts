import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { FetchError } from '../../errors.ts';
import type { Redactor } from '../../log/redact.ts';
import { redactUrl } from '../../urls/shown.ts';
import { errorForNetworkFailure } from './classify.ts';
import type { HttpClient } from './http-client.ts';

export interface Response {
  readonly status: number;
  readonly statusText: string;
  /** A header sent more than once is an array of its values, in order. */
  readonly headers: IncomingHttpHeaders;
  readonly body: IncomingMessage;
  /** Where the answer came from after redirects; print only with redactUrl. */
  readonly url: URL;
}

export interface RequestContext {
  /** The run's one client: its connections, proxies, connect and stall timeouts. */
  readonly client: HttpClient;
  readonly maxRedirects: number;
  readonly redactor: Redactor;
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
    let answer: IncomingMessage;
    try {
      answer = await context.client.send(
        current,
        { method, headers: hopHeaders, body: options.body },
        signal,
      );
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (!isTransportError(error)) throw error;
      throw errorForNetworkFailure(error, redactUrl(current), true);
    }
    const status = answer.statusCode ?? 0;
    const location = answer.headers.location;
    const follows = method !== 'POST' && redirectStatuses.has(status);
    if (!follows || typeof location !== 'string') {
      return {
        status,
        statusText: answer.statusMessage ?? '',
        headers: headersOf(answer),
        body: answer,
        url: current,
      };
    }
    discardBody(answer);
    current = nextHop(url, current, location, redirects, context);
  }
}

/**
 * The headers as received, names in lower case: one value as a string, a
 * header sent more than once as the array of its values (node:http would
 * keep the first of some, such as ETag, and join others with commas).
 */
function headersOf(answer: IncomingMessage): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const [name, values] of Object.entries(answer.headersDistinct)) {
    if (values !== undefined) headers[name] = values.length === 1 ? values[0] : values;
  }
  return headers;
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

/** Errors of the connection or the protocol carry a code (node:http's, llhttp's, ours); anything else is our bug. */
export function isTransportError(error: unknown): boolean {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
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

/**
 * Drops a response body we will not read: one complete on the wire is read
 * out, so its connection is kept for the next request (a redirect's, a
 * part's); any other is cut, with its connection.
 */
export function discardBody(body: Response['body']): void {
  if (body.destroyed) return;
  body.on('error', () => {});
  if (body.complete) body.resume();
  else body.destroy();
}
