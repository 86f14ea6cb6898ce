const MAX_SHOWN_CHARS = 100;

/**
 * Whether extracting an entry with this name could write outside the target
 * directory: an absolute name (`/x`, `\x`, `C:x`) or a `..` segment between
 * `/` or `\` separators ("zip slip"). APPNOTE 4.4.17.1 requires relative names
 * with forward slashes, but readers on Windows also split on `\`, so both count.
 */
export function isUnsafeEntryName(name: string): boolean {
  if (/^[/\\]/.test(name) || /^[A-Za-z]:/.test(name)) return true;
  return name.split(/[/\\]/).includes('..');
}

/**
 * The raw name bytes as text for the safety check. Every character the check
 * looks at is ASCII, and ASCII bytes mean the same in UTF-8 (bit 11) and CP437
 * names (UTF-8 multi-byte sequences never contain bytes below 0x80), so a
 * byte-for-byte latin1 view is exact regardless of the declared encoding.
 */
export function entryNameForCheck(nameBytes: Buffer): string {
  return nameBytes.toString('latin1');
}

/** The name decoded as UTF-8 and cut to 100 characters, for messages and log fields. */
export function shortEntryName(nameBytes: Buffer): string {
  const chars = [...nameBytes.toString('utf8')];
  return chars.length > MAX_SHOWN_CHARS
    ? `${chars.slice(0, MAX_SHOWN_CHARS).join('')}…`
    : chars.join('');
}

/** `shortEntryName`, quoted and escaped so control characters cannot garble a log line. */
export function describeEntryName(nameBytes: Buffer): string {
  return JSON.stringify(shortEntryName(nameBytes));
}
