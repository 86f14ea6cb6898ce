import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from '../log/logger.ts';
import type { UrlValidity } from '../plan/url-expiry.ts';
import type { RequestContext } from './http/request.ts';

/** What every attempt needs, whether it fetches the whole file, a part, or the first part. */
export interface AttemptContext extends RequestContext {
  readonly url: URL;
  /** The URL's validity window when it is a known signed form, to explain a refusal. */
  readonly urlValidity: UrlValidity | undefined;
  readonly expectedSizeBytes: number;
  readonly userAgent: string;
  readonly logger: Logger;
  /** Hears the bytes received so far of what the attempt fetches (the file, or its part). */
  readonly onBytes: (bytes: number) => void;
  /** Hears the headers of a 200 that begins the file: the version being downloaded. */
  readonly onWholeObject: (headers: IncomingHttpHeaders) => void;
}
