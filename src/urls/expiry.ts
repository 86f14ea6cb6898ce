/**
 * The validity window of a signed URL, read from the query parameters of the
 * forms we know. Pure: no clock, no I/O. Only derived times leave this module,
 * never a parameter's value, which sits next to the signature.
 */

export type SignedUrlForm = 's3-sigv4' | 'gcs-v4' | 'azure-sas' | 'runtime-loader' | 'epoch';

export interface UrlValidity {
  readonly form: SignedUrlForm;
  /** When the signature becomes usable, when the URL says (X-Amz-Date, X-Goog-Date, Azure `st`). */
  readonly validFrom: Date | undefined;
  readonly expiresAt: Date;
}

/** S3 and GCS refuse a V4 signature valid for longer than 7 days; a larger value is not theirs. */
const maxV4ExpiresSeconds = 7 * 86_400;

/**
 * The validity of `url` when it is one of the known signed forms: S3 SigV4
 * (`X-Amz-Date` + `X-Amz-Expires`), GCS V4 (`X-Goog-Date` + `X-Goog-Expires`),
 * an Azure SAS (`se`, with `sig`), ours (`rl-expires`), or a plain epoch
 * `exp`/`expires`. Undefined when none is present or a value is implausible.
 */
export function urlValidityOf(url: URL): UrlValidity | undefined {
  const get = parameterGetter(url.searchParams);
  return (
    v4Validity('s3-sigv4', get('x-amz-date'), get('x-amz-expires')) ??
    v4Validity('gcs-v4', get('x-goog-date'), get('x-goog-expires')) ??
    azureValidity(get('se'), get('st'), get('sig')) ??
    ourValidity(get('rl-expires')) ??
    epochValidity(get('exp') ?? get('expires'))
  );
}

/** Query parameters by name, case-insensitively (S3 accepts `x-amz-date` as well). */
function parameterGetter(query: URLSearchParams): (name: string) => string | undefined {
  const byName = new Map<string, string>();
  for (const [name, value] of query) {
    const key = name.toLowerCase();
    if (!byName.has(key)) byName.set(key, value);
  }
  return (name) => byName.get(name);
}

/** `20261130T120000Z` plus a number of seconds, as both S3 and GCS write them. */
function v4Validity(
  form: SignedUrlForm,
  date: string | undefined,
  expires: string | undefined,
): UrlValidity | undefined {
  if (date === undefined || expires === undefined) return undefined;
  const signedAt = basicIsoTime(date);
  if (signedAt === undefined || !/^[0-9]{1,7}$/.test(expires)) return undefined;
  const seconds = Number(expires);
  if (seconds < 1 || seconds > maxV4ExpiresSeconds) return undefined;
  return { form, validFrom: signedAt, expiresAt: new Date(signedAt.getTime() + seconds * 1000) };
}

function basicIsoTime(raw: string): Date | undefined {
  const match = /^([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z$/.exec(raw);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second] = match;
  const at = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}Z`);
  // An impossible date (month 13, 30 February) is invalid or rolls over: refuse what does not round-trip.
  const valid = !Number.isNaN(at.getTime()) && at.toISOString().replace(/[-:]|\.000/g, '') === raw;
  return valid ? at : undefined;
}

/** Azure SAS: `se` (and `st`) in ISO 8601, UTC: `2026-11-30`, `2026-11-30T12:00Z`, `...:00Z`. */
function azureValidity(
  se: string | undefined,
  st: string | undefined,
  sig: string | undefined,
): UrlValidity | undefined {
  if (se === undefined || sig === undefined) return undefined;
  const expiresAt = azureTime(se);
  if (expiresAt === undefined) return undefined;
  return {
    form: 'azure-sas',
    validFrom: st === undefined ? undefined : azureTime(st),
    expiresAt,
  };
}

function azureTime(raw: string): Date | undefined {
  const match =
    /^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,7})?)?Z)?$/.exec(raw);
  if (match === null) return undefined;
  const at = new Date(match[1] === undefined ? `${raw}T00:00:00Z` : raw);
  // 2026-02-30 must not roll over into March.
  const valid = !Number.isNaN(at.getTime()) && at.toISOString().startsWith(raw.slice(0, 10));
  return valid ? at : undefined;
}

function ourValidity(raw: string | undefined): UrlValidity | undefined {
  if (raw === undefined || !/^[0-9]{1,12}$/.test(raw)) return undefined;
  return { form: 'runtime-loader', validFrom: undefined, expiresAt: new Date(Number(raw) * 1000) };
}

/**
 * A plain Unix time. Ten digits are seconds (2001 to 2286), thirteen are
 * milliseconds (the same years); anything else, such as a relative `3600`,
 * is not trusted as an expiry.
 */
function epochValidity(raw: string | undefined): UrlValidity | undefined {
  if (raw === undefined) return undefined;
  const ms = /^[0-9]{10}$/.test(raw)
    ? Number(raw) * 1000
    : /^[0-9]{13}$/.test(raw)
      ? Number(raw)
      : undefined;
  if (ms === undefined || ms < 1_000_000_000_000) return undefined;
  return { form: 'epoch', validFrom: undefined, expiresAt: new Date(ms) };
}

/** Whole minutes from `nowMs` to `at`: positive ahead, negative past; never -0. */
export function minutesFrom(nowMs: number, at: Date): number {
  const minutes = Math.trunc((at.getTime() - nowMs) / 60_000);
  return minutes === 0 ? 0 : minutes;
}

/** "expired at T, N minutes ago" or "expires at T, in N minutes", for messages. */
export function describeExpiry(validity: UrlValidity, nowMs: number): string {
  const at = validity.expiresAt.toISOString();
  const minutes = minutesFrom(nowMs, validity.expiresAt);
  if (validity.expiresAt.getTime() <= nowMs) {
    return `expired at ${at}, ${minutes === 0 ? 'less than a minute' : plural(-minutes, 'minute')} ago`;
  }
  return `expires at ${at}, in ${minutes === 0 ? 'less than a minute' : plural(minutes, 'minute')}`;
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** Log fields for an expiry: the form, the ISO time and the minutes left (negative when past). */
export function expiryFields(validity: UrlValidity, nowMs: number): Record<string, unknown> {
  return {
    urlForm: validity.form,
    urlExpiresAt: validity.expiresAt.toISOString(),
    urlExpiresInMinutes: minutesFrom(nowMs, validity.expiresAt),
  };
}

export interface ExpiryWarning {
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** A signature dated this far ahead of our clock is worth a word at start. */
const futureSignatureNoticeMs = 5_000;

/**
 * What to warn about before the first request: a URL already expired, one
 * that expires before the deadline (a slow run may be refused part-way), or
 * one signed by a clock ahead of ours. Undefined when all is well.
 */
export function expiryWarningAtStart(
  validity: UrlValidity,
  nowMs: number,
  remainingMs: number,
): ExpiryWarning | undefined {
  const fields = expiryFields(validity, nowMs);
  const expiresAtMs = validity.expiresAt.getTime();
  if (expiresAtMs <= nowMs) {
    return {
      message: `the signed URL ${describeExpiry(validity, nowMs)}: the server will likely refuse it; issue a new one`,
      fields: { ...fields, reason: 'expired' },
    };
  }
  if (expiresAtMs < nowMs + remainingMs) {
    return {
      message: `the signed URL ${describeExpiry(validity, nowMs)}, before the deadline (LOADER_DEADLINE_SECONDS): a download still running then may be refused`,
      fields: { ...fields, reason: 'expires-before-deadline' },
    };
  }
  const validFromMs = validity.validFrom?.getTime();
  if (validFromMs !== undefined && validFromMs > nowMs + futureSignatureNoticeMs) {
    const seconds = Math.round((validFromMs - nowMs) / 1000);
    return {
      message: `the signed URL is dated ${seconds} s ahead of this clock (${validity.validFrom?.toISOString()}): the signer's clock may be ahead, and the server may call it not yet valid`,
      fields: {
        ...fields,
        reason: 'signed-in-the-future',
        urlValidFrom: validity.validFrom?.toISOString(),
      },
    };
  }
  return undefined;
}
