import { hex32, zipFailure } from './zip-errors.ts';
import type { ByteSource } from './zip-source.ts';

const LOCATOR_SIGNATURE = 0x07064b50;
const LOCATOR_SIZE_BYTES = 20;
const RECORD_SIGNATURE = 0x06064b50;
const RECORD_FIXED_SIZE_BYTES = 56;

/**
 * The fields both end records carry (APPNOTE 4.3.16, 4.3.14), widened to the
 * zip64 record's numbers: the classic EOCD's are read into this shape too.
 */
export interface EndFields {
  diskNumber: number;
  centralDirectoryDisk: number;
  entriesOnDisk: number;
  entries: number;
  centralDirectorySize: number;
  centralDirectoryOffset: number;
}

export interface Zip64End {
  fields: EndFields;
  recordOffset: number;
}

/**
 * Reads the zip64 end records when a zip64 locator (APPNOTE 4.3.15) sits
 * right before the classic EOCD, as the layout in 4.3.6 puts it; returns
 * undefined when there is none. The locator points at the zip64 EOCD record
 * (4.3.14), whose 64-bit fields replace the classic ones.
 */
export async function readZip64End(
  source: ByteSource,
  eocdOffset: number,
  classic: EndFields,
): Promise<Zip64End | undefined> {
  if (eocdOffset < LOCATOR_SIZE_BYTES) return undefined;
  const locatorOffset = eocdOffset - LOCATOR_SIZE_BYTES;
  const locator = await source.read(locatorOffset, LOCATOR_SIZE_BYTES);
  if (locator.readUInt32LE(0) !== LOCATOR_SIGNATURE) return undefined;

  const recordDisk = locator.readUInt32LE(4);
  const totalDisks = locator.readUInt32LE(16);
  // A single-disk archive says 1 here; some writers leave it 0, which is just as unambiguous.
  if (recordDisk !== 0 || totalDisks > 1) {
    throw zipFailure(
      'unsupported zip archive',
      'multi-disk',
      `multi-disk (split or spanned) archives are refused: the zip64 locator names ${totalDisks} disks and puts the zip64 end record on disk ${recordDisk}`,
      { totalDisks, recordDisk },
    );
  }
  const recordOffset = toSafeNumber(locator.readBigUInt64LE(8), 'zip64 end record offset');
  // Only the fixed part must fit: the record's own size field is a SHOULD (4.3.14.1)
  // that writers get wrong, and nothing here reads the extensible data after it.
  if (recordOffset + RECORD_FIXED_SIZE_BYTES > locatorOffset) {
    throw zipFailure(
      'corrupt zip archive',
      'zip64-record-out-of-bounds',
      `the zip64 locator at offset ${locatorOffset} points to a zip64 end record at offset ${recordOffset}, which does not fit before the locator`,
      { locatorOffset, recordOffset },
    );
  }
  const record = await source.read(recordOffset, RECORD_FIXED_SIZE_BYTES);
  const signature = record.readUInt32LE(0);
  if (signature !== RECORD_SIGNATURE) {
    throw zipFailure(
      'corrupt zip archive',
      'bad-zip64-record-signature',
      `the zip64 end record at offset ${recordOffset} has signature ${hex32(signature)} instead of ${hex32(RECORD_SIGNATURE)}`,
      { recordOffset },
    );
  }
  const fields: EndFields = {
    diskNumber: record.readUInt32LE(16),
    centralDirectoryDisk: record.readUInt32LE(20),
    entriesOnDisk: toSafeNumber(record.readBigUInt64LE(24), 'zip64 entries on this disk'),
    entries: toSafeNumber(record.readBigUInt64LE(32), 'zip64 total entries'),
    centralDirectorySize: toSafeNumber(record.readBigUInt64LE(40), 'zip64 central directory size'),
    centralDirectoryOffset: toSafeNumber(
      record.readBigUInt64LE(48),
      'zip64 central directory offset',
    ),
  };
  rejectDisagreement(classic, fields);
  return { fields, recordOffset };
}

/**
 * A classic field that is not the 0xFFFF/0xFFFFFFFF "see zip64" marker must
 * equal its zip64 twin (APPNOTE 4.4.1.4). When they differ, readers that
 * trust different records see different archives (the JDK, for one, then
 * ignores the zip64 record), so the archive is refused rather than guessed at.
 */
function rejectDisagreement(classic: EndFields, zip64: EndFields): void {
  const widths: Record<keyof EndFields, number> = {
    diskNumber: 0xffff,
    centralDirectoryDisk: 0xffff,
    entriesOnDisk: 0xffff,
    entries: 0xffff,
    centralDirectorySize: 0xffffffff,
    centralDirectoryOffset: 0xffffffff,
  };
  for (const [field, marker] of Object.entries(widths) as [keyof EndFields, number][]) {
    if (classic[field] === marker || classic[field] === zip64[field]) continue;
    throw zipFailure(
      'corrupt zip archive',
      'zip64-mismatch',
      `the end-of-central-directory record and the zip64 end record disagree on ${field} (${classic[field]} vs ${zip64[field]})`,
      { field, classic: classic[field], zip64: zip64[field] },
    );
  }
}

function toSafeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw zipFailure(
      'corrupt zip archive',
      'zip64-value-too-large',
      `${what} is ${value}, beyond any real file`,
      {
        field: what,
      },
    );
  }
  return Number(value);
}
