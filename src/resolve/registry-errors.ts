/**
 * What a registry's refusal means. A registry says why in its body, as the
 * distribution spec's error JSON (`{"errors":[{"code":"MANIFEST_UNKNOWN",
 * "message":"manifest unknown","detail":…}]}`): the first error's code and
 * message are taken, the message redacted as server text and cut short, the
 * detail never (it may echo the request). A permanent refusal (an unknown
 * repository, tag or blob; UNAUTHORIZED, DENIED) is exit 3 with the
 * registry's code as `errorCode`; 408, 429 (TOOMANYREQUESTS) and 5xx are
 * retried like a URL's, a Retry-After honoured and a paced 429 not counted.
 * A registry is no signed URL: nothing here speaks of expiry.
 */

import { proxyAuthenticationError } from '../download/http/classify.ts';
import { readErrorBody, serverTextLine } from '../download/http/error-body.ts';
import type { Response } from '../download/http/request.ts';
import { parseRetryAfterMs } from '../download/retry/retry-after.ts';
import { FetchError, type LoaderError, RejectedError } from '../errors.ts';
import type { Redactor } from '../log/redact.ts';
import { redactUrl } from '../urls/shown.ts';

/** The registry's own reason for an error status. */
export interface RegistryReason {
  /** The spec's code, `MANIFEST_UNKNOWN`; only an upper-case word is taken. */
  readonly code: string | undefined;
  /** The registry's message, redacted and at most 160 characters. */
  readonly message: string | undefined;
}

const transientStatuses = new Set([408, 425, 429, 500, 502, 503, 504]);
const maxMessageChars = 160;
const maxStatusTextChars = 60;

/** The first error of a distribution error body, when the answer has one (a HEAD has none). */
export async function registryReasonOf(
  response: Response,
  redactor: Redactor,
): Promise<RegistryReason> {
  const none = { code: undefined, message: undefined };
  const type = String(response.headers['content-type'] ?? '').toLowerCase();
  if (!type.includes('json')) return none;
  const text = await readErrorBody(response.body);
  if (text === undefined) return none;
  let first: unknown;
  try {
    first = (JSON.parse(text) as { errors?: unknown[] }).errors?.[0];
  } catch {
    return none;
  }
  if (typeof first !== 'object' || first === null) return none;
  const { code, message } = first as { code?: unknown; message?: unknown };
  return {
    code: typeof code === 'string' && /^[A-Z][A-Z_]{0,39}$/.test(code) ? code : undefined,
    message:
      typeof message === 'string' ? serverTextLine(message, redactor, maxMessageChars) : undefined,
  };
}

/** What a refusal is about, to say what to do about it. */
export interface RefusalContext {
  /** `the manifest oci://reg/team/app:1.0`, `the blob sha256:…`. */
  readonly what: string;
  /** The advice for a 401 or 403: which credentials were sent, where to put them. */
  readonly authAdvice: () => string;
}

/**
 * The error an answer that is neither what was asked nor a redirect means:
 * another 2xx (or a 304 not asked for), a refusal, or a failure worth
 * another attempt. The body is read for the registry's reason.
 */
export async function registryAnswerError(
  response: Response,
  expectedStatus: number,
  redactor: Redactor,
  about: RefusalContext,
): Promise<LoaderError> {
  const where = redactUrl(response.url);
  const { status } = response;
  if (status < 400) {
    return new FetchError(
      `the registry answered ${status} for ${about.what} at ${where}, expected ${expectedStatus}`,
      { details: { status } },
    );
  }
  // A proxy's, not the registry's: the way to the registry failed (exit 4), as for a URL.
  if (status === 407) return proxyAuthenticationError(where);
  const reason = await registryReasonOf(response, redactor);
  const statusText = serverTextLine(response.statusText, redactor, maxStatusTextChars);
  const said = [reason.code, reason.message].filter((part) => part !== undefined).join(': ');
  const answered = `${status}${statusText ? ` ${statusText}` : ''}${said ? ` (${said})` : ''}`;
  const details = {
    status,
    ...(reason.code === undefined ? {} : { errorCode: reason.code }),
    ...(reason.message === undefined ? {} : { serverReason: reason.message }),
  };
  if (transientStatuses.has(status)) {
    const retryAfterMs = parseRetryAfterMs(response.headers['retry-after']);
    return new FetchError(`the registry answered ${answered} for ${about.what} at ${where}`, {
      transient: true,
      details,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status >= 500) {
    return new FetchError(
      `the registry answered ${answered} for ${about.what} at ${where}, which is not retried`,
      { details },
    );
  }
  return new RejectedError(
    `the registry refused ${about.what} at ${where} with ${answered}${adviceFor(status, reason.code, about)}`,
    { details },
  );
}

function adviceFor(status: number, code: string | undefined, about: RefusalContext): string {
  if (status === 401 || status === 403) return `: ${about.authAdvice()}`;
  if (code === 'NAME_UNKNOWN') return ': no such repository in this registry';
  if (code === 'MANIFEST_UNKNOWN') return ': no such tag or digest in this repository';
  if (code === 'BLOB_UNKNOWN') return ': the registry does not have this blob';
  if (status === 404) return ': not in this registry';
  return '';
}
