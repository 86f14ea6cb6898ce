import type { Redactor } from '../../log/redact.ts';
import type { Response } from './request.ts';

/** Enough for S3's or GCS's XML error, a JSON error or a line of text; no more is read. */
const maxErrorBodyBytes = 2048;
/** An error body that is slow to come is not waited for. */
const errorBodyWaitMs = 1000;

/** A server's reason is cut to this many characters, after it is redacted. */
const maxReasonChars = 160;

/**
 * The server's own short reason for an error status, e.g. S3's
 * `AccessDenied: Request has expired`, so an operator sees why without
 * curl. Only the Code and Message (Azure: AuthenticationErrorDetail) of an XML error are taken, the `message`
 * of a JSON one, or the first line of plain text: never S3's StringToSign
 * or SignatureProvided, which echo the request. Undefined for anything else.
 * It is server text: redacted as such, whole, before it is cut short.
 */
export async function serverReasonOf(
  response: Response,
  redactor: Redactor,
): Promise<string | undefined> {
  const type = String(response.headers['content-type'] ?? '').toLowerCase();
  const kind = type.includes('xml')
    ? 'xml'
    : type.includes('json')
      ? 'json'
      : type.startsWith('text/plain')
        ? 'text'
        : undefined;
  if (kind === undefined) return undefined;
  const text = await readErrorBody(response.body);
  if (text === undefined) return undefined;
  const reason =
    kind === 'xml'
      ? fromXml(text)
      : kind === 'json'
        ? fromJson(text)
        : text.split('\n').find((line) => line.trim() !== '');
  return reason === undefined ? undefined : serverTextLine(reason, redactor, maxReasonChars);
}

/** At most `maxErrorBodyBytes` (2 KiB) of an error body, or undefined when it is slower than 1 s. */
export async function readErrorBody(body: Response['body']): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  let late = false;
  // Destroying the body ends the loop below: nothing goes on reading after this returns.
  const timer = setTimeout(() => {
    late = true;
    body.destroy();
  }, errorBodyWaitMs);
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      length += chunk.byteLength;
      if (length >= maxErrorBodyBytes) break;
    }
  } catch {
    // A body cut short still holds its reason, if it arrived.
  } finally {
    clearTimeout(timer);
  }
  if (late) return undefined;
  return Buffer.concat(chunks).subarray(0, maxErrorBodyBytes).toString('utf8');
}

function fromXml(text: string): string | undefined {
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1];
  // Azure's Message is a generic "Server failed to authenticate"; its detail says why (times only).
  const message =
    /<AuthenticationErrorDetail>([^<]{1,300})<\/AuthenticationErrorDetail>/.exec(text)?.[1] ??
    /<Message>([^<]{1,300})<\/Message>/.exec(text)?.[1];
  if (message === undefined) return code;
  return code === undefined ? message : `${code}: ${message}`;
}

function fromJson(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
    const nested =
      typeof parsed.error === 'object' && parsed.error !== null
        ? (parsed.error as { message?: unknown }).message
        : parsed.error;
    for (const candidate of [parsed.message, nested])
      if (typeof candidate === 'string') return candidate;
  } catch {
    // Not JSON after all, or cut at the size limit.
  }
  return undefined;
}

/**
 * Text a server sent as one printable line of at most `maxChars` characters:
 * redacted as server text first, so a cut can never leave part of a secret.
 */
export function serverTextLine(
  text: string,
  redactor: Redactor,
  maxChars: number,
): string | undefined {
  const line = redactor
    .scrubServerText(text.replace(/\p{Cc}+/gu, ' '))
    .replace(/\s+/g, ' ')
    .trim();
  if (!line) return undefined;
  return line.length > maxChars ? `${line.slice(0, maxChars - 3)}...` : line;
}
