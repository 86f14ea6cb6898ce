import type { IncomingHttpHeaders } from 'node:http';

/**
 * The validators of the response that began the file, as the server sent
 * them: recorded beside the published artifact for the next run's conditional
 * request, and the source of its modification time.
 */
export interface ObjectVersion {
  /** The ETag, quotes (and a weak `W/`) included; undefined when none was sent. */
  readonly etag: string | undefined;
  /** The Last-Modified HTTP-date; undefined when none was sent or it does not parse. */
  readonly lastModified: string | undefined;
}

export const unknownVersion: ObjectVersion = { etag: undefined, lastModified: undefined };

export function objectVersionOf(headers: IncomingHttpHeaders): ObjectVersion {
  const { etag } = headers;
  const lastModified = headers['last-modified'];
  return {
    // Bounded: they are written to the record and logged, and a server controls them.
    etag: typeof etag === 'string' && etag.length <= 256 ? etag : undefined,
    lastModified:
      typeof lastModified === 'string' && !Number.isNaN(Date.parse(lastModified))
        ? lastModified
        : undefined,
  };
}

/**
 * Headers asking for the object only if it changed (RFC 9110 §13.1.2,
 * §13.1.3): If-None-Match with the ETag, weak or strong, and
 * If-Modified-Since with the Last-Modified date; a server that knows both
 * weighs If-None-Match alone. A weak ETag is sent too: If-None-Match compares
 * weakly, and an ETag that changes with the object is a sharper question than
 * a date, which a rollback to an older object passes (a 304 is still checked,
 * see notModifiedMismatch). Empty when the record holds neither.
 */
export function conditionalHeaders(version: ObjectVersion): Record<string, string> {
  const headers: Record<string, string> = {};
  if (version.etag !== undefined && /^(?:W\/)?"/.test(version.etag))
    headers['if-none-match'] = version.etag;
  if (version.lastModified !== undefined) headers['if-modified-since'] = version.lastModified;
  return headers;
}

/** A validator a 304 carries that does not match the record's (the record's may be missing). */
export interface Mismatch {
  readonly validator: 'ETag' | 'Last-Modified';
  readonly answered: string;
  readonly recorded: string | undefined;
}

/**
 * Why a 304 does not answer for the recorded version, or undefined when it
 * does. A 304 carries the validators the 200 would have (RFC 9110 §15.4.5):
 * each one it carries must match the record's, the ETag by weak comparison
 * (the opaque tags equal, §8.8.3.2), the Last-Modified date exactly. One the
 * record lacks cannot be vouched for. Taken as objectVersionOf takes a 200's,
 * so both sides are read the same way.
 */
export function notModifiedMismatch(
  recorded: ObjectVersion,
  headers: IncomingHttpHeaders,
): Mismatch | undefined {
  const answered = objectVersionOf(headers);
  const opaque = (etag: string) => etag.replace(/^W\//, '');
  if (
    answered.etag !== undefined &&
    (recorded.etag === undefined || opaque(answered.etag) !== opaque(recorded.etag))
  )
    return { validator: 'ETag', answered: answered.etag, recorded: recorded.etag };
  if (answered.lastModified !== undefined && answered.lastModified !== recorded.lastModified)
    return {
      validator: 'Last-Modified',
      answered: answered.lastModified,
      recorded: recorded.lastModified,
    };
  return undefined;
}
