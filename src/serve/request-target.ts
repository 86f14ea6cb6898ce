/** A request target split at its query: the path as sent on the wire, and the query's fields. */
export interface RequestTarget {
  readonly rawPath: string;
  readonly query: URLSearchParams;
}

/** Splits `request.url` at the first "?"; an absent target is an empty path. */
export function splitTarget(target: string | undefined): RequestTarget {
  const url = target ?? '';
  const queryAt = url.indexOf('?');
  return {
    rawPath: queryAt === -1 ? url : url.slice(0, queryAt),
    query: new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1)),
  };
}

/** The path as the access log keeps it: bounded, so a huge target cannot bloat the log. */
export function loggedPath(rawPath: string): string {
  return rawPath.slice(0, 256);
}

export interface Refusal {
  readonly status: 400 | 405;
  readonly text: string;
  readonly reason: string;
  readonly headers?: Record<string, string>;
}

/** Why a request is refused before its signature is even read: only GET and HEAD of a path. */
export function refusalOf(method: string | undefined, rawPath: string): Refusal | undefined {
  if (method !== 'GET' && method !== 'HEAD') {
    return {
      status: 405,
      text: 'Method not allowed',
      reason: 'method not allowed',
      headers: { allow: 'GET, HEAD' },
    };
  }
  if (!rawPath.startsWith('/')) {
    return { status: 400, text: 'Bad request', reason: 'request target is not a path' };
  }
  return undefined;
}
