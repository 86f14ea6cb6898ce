import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { FetchError } from '../errors.ts';
import { type Redactor, redactUrl } from '../log/redact.ts';
import { errorForNetworkFailure } from './classify.ts';

export interface Response {
  readonly status: number;
  readonly statusText: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Dispatcher.ResponseData['body'];
  /** Where the answer came from after redirects; print only with redactUrl. */
  readonly url: URL;
  readonly redirects: number;
}

export interface RequestContext {
  readonly dispatcher: Dispatcher;
  readonly maxRedirects: number;
  readonly redactor: Redactor;
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

/**
 * GET `url`, following at most `maxRedirects` redirects by hand, so that every
 * hop is checked: never from https to http, never to another scheme, and each
 * target's signature is registered with the redactor before anything can log it.
 */
export async function getFollowingRedirects(
  context: RequestContext,
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<Response> {
  let current = url;
  for (let redirects = 0; ; redirects += 1) {
    let answer: Dispatcher.ResponseData;
    try {
      answer = await context.dispatcher.request({
        origin: current.origin,
        path: `${current.pathname}${current.search}`,
        method: 'GET',
        headers,
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw errorForNetworkFailure(error, redactUrl(current));
    }
    const location = answer.headers.location;
    if (!redirectStatuses.has(answer.statusCode) || typeof location !== 'string') {
      return {
        status: answer.statusCode,
        statusText: answer.statusText,
        headers: answer.headers,
        body: answer.body,
        url: current,
        redirects,
      };
    }
    discardBody(answer.body);
    current = nextHop(current, location, redirects, context);
  }
}

function nextHop(
  from: URL,
  location: string,
  redirectsSoFar: number,
  context: RequestContext,
): URL {
  const where = redactUrl(from);
  if (redirectsSoFar >= context.maxRedirects) {
    throw new FetchError(
      `too many redirects: gave up after ${context.maxRedirects} starting from ${where} (a redirect loop?)`,
    );
  }
  if (!URL.canParse(location, from.href)) {
    throw new FetchError(`server at ${where} redirected to an invalid Location`);
  }
  const target = new URL(location, from);
  context.redactor.addUrl(target);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new FetchError(`refused a redirect from ${where} to the scheme ${target.protocol}`);
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
