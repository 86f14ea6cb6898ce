import type { ByteSource } from './zip-source.ts';

const LOCAL_HEADER = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const EMPTY_ARCHIVE_END = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const SPANNED_MARKER = Buffer.from([0x50, 0x4b, 0x07, 0x08]);
const EOCD_SIZE_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;

/** Why the bytes count as a zip, or undefined when nothing in them says so. */
export type ZipEvidence = 'local-header' | 'empty-archive' | 'spanned-marker' | 'end-record';

/**
 * Whether the bytes claim to be a zip: they start with a zip signature
 * (local file header, an empty archive's end record, the spanned-archive
 * marker), or an end-of-central-directory signature lies where one can
 * (the last 22 + 65535 bytes, APPNOTE 4.3.16), which also finds a JAR with a
 * launch script prepended. A real JAR, whole or damaged, keeps at least one of
 * these; arbitrary bytes match by chance with a probability of about
 * (tail length) / 2^32.
 */
export async function zipEvidence(source: ByteSource): Promise<ZipEvidence | undefined> {
  if (source.sizeBytes >= 4) {
    const head = await source.read(0, 4);
    if (head.equals(LOCAL_HEADER)) return 'local-header';
    if (head.equals(EMPTY_ARCHIVE_END)) return 'empty-archive';
    if (head.equals(SPANNED_MARKER)) return 'spanned-marker';
  }
  const tailLength = Math.min(source.sizeBytes, EOCD_SIZE_BYTES + MAX_COMMENT_BYTES);
  if (tailLength < 4) return undefined;
  const tail = await source.read(source.sizeBytes - tailLength, tailLength);
  return tail.includes(EMPTY_ARCHIVE_END) ? 'end-record' : undefined;
}
