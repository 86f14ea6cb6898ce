import { zipFailure } from './zip-errors.ts';
import type { ByteSource } from './zip-source.ts';
import { type EndFields, readZip64End } from './zip64-end.ts';

const EOCD_SIGNATURE = 0x06054b50;
const EOCD_SIZE_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;
const MAX32 = 0xffffffff;

/** Where the central directory is, checked against the file's size and the end records. */
export interface ZipEnd {
  entries: number;
  centralDirectoryOffset: number;
  centralDirectorySize: number;
  zip64: boolean;
  /** Offset of the first end record (zip64 record or classic EOCD): the directory must end by here. */
  endRecordsOffset: number;
}

/** Finds and validates the end records, reading only the file's tail. */
export async function readZipEnd(source: ByteSource): Promise<ZipEnd> {
  const eocdOffset = await findEocd(source);
  const classic = parseEocd(await source.read(eocdOffset, EOCD_SIZE_BYTES));
  const zip64 = await readZip64End(source, eocdOffset, classic);
  if (
    zip64 === undefined &&
    (classic.centralDirectorySize === MAX32 || classic.centralDirectoryOffset === MAX32)
  ) {
    throw zipFailure(
      'corrupt zip archive',
      'zip64-locator-missing',
      `the end-of-central-directory record at offset ${eocdOffset} defers to zip64 (0xFFFFFFFF) but no zip64 locator precedes it`,
      { eocdOffset },
    );
  }
  const fields = zip64?.fields ?? classic;
  rejectMultiDisk(fields);
  const end: ZipEnd = {
    entries: fields.entries,
    centralDirectoryOffset: fields.centralDirectoryOffset,
    centralDirectorySize: fields.centralDirectorySize,
    zip64: zip64 !== undefined,
    endRecordsOffset: zip64?.recordOffset ?? eocdOffset,
  };
  if (end.centralDirectoryOffset + end.centralDirectorySize > end.endRecordsOffset) {
    throw zipFailure(
      'corrupt zip archive',
      'central-directory-out-of-bounds',
      `central directory at offset ${end.centralDirectoryOffset} size ${end.centralDirectorySize} runs past the end-of-central-directory record at offset ${end.endRecordsOffset} (file truncated or cut?)`,
      { ...end, fileSizeBytes: source.sizeBytes },
    );
  }
  return end;
}

/**
 * The EOCD is the last record and ends with a variable comment of up to 65535
 * bytes (APPNOTE 4.3.16), so it starts within the last 22 + 65535 bytes. A
 * match must have a comment length that reaches exactly the end of the file:
 * that rejects signature bytes that merely appear inside the comment or the
 * data, and archives with junk appended after them.
 */
async function findEocd(source: ByteSource): Promise<number> {
  const tailLength = Math.min(source.sizeBytes, EOCD_SIZE_BYTES + MAX_COMMENT_BYTES);
  const tailStart = source.sizeBytes - tailLength;
  const tail = tailLength === 0 ? Buffer.alloc(0) : await source.read(tailStart, tailLength);
  let misfit: number | undefined;
  for (let at = tail.length - EOCD_SIZE_BYTES; at >= 0; at--) {
    if (tail.readUInt32LE(at) !== EOCD_SIGNATURE) continue;
    if (at + EOCD_SIZE_BYTES + tail.readUInt16LE(at + 20) === tail.length) return tailStart + at;
    misfit ??= tailStart + at;
  }
  const hint =
    source.sizeBytes < EOCD_SIZE_BYTES
      ? ` (the file is ${source.sizeBytes} bytes, smaller than the ${EOCD_SIZE_BYTES}-byte record)`
      : misfit === undefined
        ? ` in the last ${tailLength} bytes`
        : `; a record signature at offset ${misfit} has a comment length that does not reach the end of the file (bytes appended or cut off?)`;
  throw zipFailure('not a zip archive', 'no-eocd', `no end-of-central-directory record${hint}`, {
    fileSizeBytes: source.sizeBytes,
    ...(misfit === undefined ? {} : { misfitEocdOffset: misfit }),
  });
}

function parseEocd(record: Buffer): EndFields {
  return {
    diskNumber: record.readUInt16LE(4),
    centralDirectoryDisk: record.readUInt16LE(6),
    entriesOnDisk: record.readUInt16LE(8),
    entries: record.readUInt16LE(10),
    centralDirectorySize: record.readUInt32LE(12),
    centralDirectoryOffset: record.readUInt32LE(16),
  };
}

/** Split and spanned archives (APPNOTE 8.0) are never what a JAR download should produce. */
function rejectMultiDisk(fields: EndFields): void {
  if (
    fields.diskNumber === 0 &&
    fields.centralDirectoryDisk === 0 &&
    fields.entriesOnDisk === fields.entries
  ) {
    return;
  }
  throw zipFailure(
    'unsupported zip archive',
    'multi-disk',
    `multi-disk (split or spanned) archives are refused: this is disk ${fields.diskNumber}, the central directory starts on disk ${fields.centralDirectoryDisk}, and ${fields.entriesOnDisk} of ${fields.entries} entries are on this disk`,
    { ...fields },
  );
}
