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
 * Headers asking for the object only if it changed (RFC 9110 §13.1.2, §13.1.3):
 * If-None-Match with a strong ETag (a weak one says nothing byte for byte), and
 * If-Modified-Since with the Last-Modified date; a server that knows both
 * weighs If-None-Match alone.
 */
export function conditionalHeaders(version: ObjectVersion): Record<string, string> {
  const headers: Record<string, string> = {};
  if (version.etag?.startsWith('"')) headers['if-none-match'] = version.etag;
  if (version.lastModified !== undefined) headers['if-modified-since'] = version.lastModified;
  return headers;
}
