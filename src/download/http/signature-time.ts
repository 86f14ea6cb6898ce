import { describeExpiry, expiryFields, type UrlValidity } from '../../urls/expiry.ts';

/**
 * The longest a "not yet valid" answer is waited out. A signer's clock that
 * far ahead is not skew but a mistake, and waiting would only hide it.
 */
export const maxNotYetValidWaitMs = 60_000;

/** After the signature's start, a little more, for the server's clock to pass it for sure. */
const notYetValidMarginMs = 1_000;

/** S3 and MinIO say "Request is not yet valid"; others word it alike. */
const notYetValidText = /not yet valid|not valid yet|not yet current/i;
/** S3 "Request has expired", GCS "ExpiredToken", R2 "ExpiredRequest", ours "Request has expired". */
const expiredText = /expired/i;

/** What the time of the signature has to do with a refusal, when anything. */
export type SignatureTime =
  | {
      readonly kind: 'not-yet-valid';
      /** How long until the server should take it; undefined when unknown. */
      readonly waitMs: number | undefined;
      readonly note: string;
      readonly fields: Record<string, unknown>;
    }
  | { readonly kind: 'expired'; readonly note: string; readonly fields: Record<string, unknown> }
  | { readonly kind: 'in-window'; readonly note: string; readonly fields: Record<string, unknown> };

/**
 * Reads a 400/401/403 in the light of the URL's validity window: a signature
 * not valid yet (clock skew: its start is after the server's `Date`, or the
 * server says so), an expired URL (by its own expiry, or the server's word),
 * or a URL well within its window, so its age was not the cause.
 */
export function signatureTimeOf(
  status: number,
  serverReason: string | undefined,
  serverDate: string | string[] | undefined,
  validity: UrlValidity | undefined,
  nowMs: number,
): SignatureTime | undefined {
  if (status !== 400 && status !== 401 && status !== 403) return undefined;
  const reason = serverReason ?? '';
  const serverNowMs = typeof serverDate === 'string' ? Date.parse(serverDate) : Number.NaN;
  const validFromMs = validity?.validFrom?.getTime();
  const startsLater =
    validFromMs !== undefined && !Number.isNaN(serverNowMs) && serverNowMs < validFromMs;
  if (notYetValidText.test(reason) || (startsLater && status !== 400)) {
    const waitMs =
      startsLater && validFromMs !== undefined
        ? validFromMs - serverNowMs + notYetValidMarginMs
        : undefined;
    const from = validity?.validFrom?.toISOString();
    const clocks =
      from === undefined
        ? ''
        : ` (it is valid from ${from}${Number.isNaN(serverNowMs) ? '' : `; the server's clock says ${new Date(serverNowMs).toISOString()}`})`;
    return {
      kind: 'not-yet-valid',
      waitMs,
      note: `the URL is not valid yet${clocks}: the signer's clock is ahead of the server's`,
      fields: {
        ...(validity === undefined ? {} : expiryFields(validity, nowMs)),
        urlValidFrom: from,
        notYetValid: true,
      },
    };
  }
  if (validity !== undefined && validity.expiresAt.getTime() <= nowMs) {
    return {
      kind: 'expired',
      note: `the URL ${describeExpiry(validity, nowMs)}: issue a new one`,
      fields: { ...expiryFields(validity, nowMs), urlExpired: true },
    };
  }
  if (expiredText.test(reason)) {
    // The server's clock is the one that counts; ours may disagree with the URL's expiry.
    const ours =
      validity === undefined ? '' : ` (by this clock the URL ${describeExpiry(validity, nowMs)})`;
    return {
      kind: 'expired',
      note: `the server says the URL has expired${ours}: issue a new one`,
      fields: {
        ...(validity === undefined ? {} : expiryFields(validity, nowMs)),
        urlExpired: true,
      },
    };
  }
  if (validity !== undefined && status !== 400) {
    return {
      kind: 'in-window',
      note: `the URL ${describeExpiry(validity, nowMs)}, so its age is not why: the signature, or the access it grants, was refused; issue a new one or check the signer`,
      fields: expiryFields(validity, nowMs),
    };
  }
  return undefined;
}
