/**
 * Parses a Retry-After header (RFC 9110 §10.2.3): either delay-seconds or an
 * HTTP-date. Returns milliseconds from `now`, or undefined when absent or
 * unparsable (a bad header must not stop the retry, only lose its hint).
 */
export function parseRetryAfterMs(
  value: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (/^[0-9]+$/.test(text)) return Number(text) * 1000;
  // HTTP-date forms all start with a day name (RFC 9110 §5.6.7); Date.parse alone accepts "-1".
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
