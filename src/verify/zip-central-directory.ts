import { describeEntryName } from './zip-entry-name.ts';
import { hex32, zipFailure } from './zip-errors.ts';
import type { ByteSource } from './zip-source.ts';

const RECORD_SIGNATURE = 0x02014b50;
const RECORD_FIXED_SIZE_BYTES = 46;
const ZIP64_EXTRA_ID = 0x0001;
const MAX32 = 0xffffffff;
const WINDOW_BYTES = 64 * 1024;

/** One central directory file header (APPNOTE 4.3.12), with zip64 values applied. */
export interface CentralDirectoryEntry {
  index: number;
  recordOffset: number;
  nameBytes: Buffer;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

/**
 * Yields every record in the central directory at [offset, offset + size),
 * reading it in windows of 64 KiB so a large directory never sits in memory
 * at once. Every record must carry the signature and fit inside the directory.
 */
export async function* readCentralDirectory(
  source: ByteSource,
  offset: number,
  size: number,
): AsyncGenerator<CentralDirectoryEntry> {
  const end = offset + size;
  let window: Buffer = Buffer.alloc(0);
  let windowStart = offset;
  // Returns [position, position + length), which the caller has checked lies before `end`.
  const take = async (position: number, length: number): Promise<Buffer> => {
    if (position + length > windowStart + window.length) {
      window = await source.read(
        position,
        Math.min(Math.max(length, WINDOW_BYTES), end - position),
      );
      windowStart = position;
    }
    return window.subarray(position - windowStart, position - windowStart + length);
  };

  let position = offset;
  for (let index = 0; position < end; index++) {
    if (position + RECORD_FIXED_SIZE_BYTES > end) {
      throw zipFailure(
        'corrupt zip archive',
        'central-directory-record-truncated',
        `central directory record ${index} at offset ${position} needs ${RECORD_FIXED_SIZE_BYTES} bytes but only ${end - position} remain in the directory`,
        { index, recordOffset: position },
      );
    }
    const fixed = await take(position, RECORD_FIXED_SIZE_BYTES);
    const signature = fixed.readUInt32LE(0);
    if (signature !== RECORD_SIGNATURE) {
      throw zipFailure(
        'corrupt zip archive',
        'bad-central-directory-signature',
        `central directory record ${index} at offset ${position} has signature ${hex32(signature)} instead of ${hex32(RECORD_SIGNATURE)}`,
        { index, recordOffset: position, signature },
      );
    }
    const nameLength = fixed.readUInt16LE(28);
    const extraLength = fixed.readUInt16LE(30);
    const recordLength =
      RECORD_FIXED_SIZE_BYTES + nameLength + extraLength + fixed.readUInt16LE(32);
    if (position + recordLength > end) {
      throw zipFailure(
        'corrupt zip archive',
        'central-directory-record-overflow',
        `central directory record ${index} at offset ${position} is ${recordLength} bytes long and runs past the end of the directory at offset ${end}`,
        { index, recordOffset: position, recordLength },
      );
    }
    const variable = await take(position + RECORD_FIXED_SIZE_BYTES, nameLength + extraLength);
    const nameBytes = variable.subarray(0, nameLength);
    const entry = applyZip64Extra(
      {
        index,
        recordOffset: position,
        nameBytes,
        compressedSize: fixed.readUInt32LE(20),
        uncompressedSize: fixed.readUInt32LE(24),
        localHeaderOffset: fixed.readUInt32LE(42),
      },
      variable.subarray(nameLength),
    );
    yield entry;
    position += recordLength;
  }
}

/**
 * A 32-bit size or offset of 0xFFFFFFFF means "the real value is in the zip64
 * extended information extra field" (header id 0x0001, APPNOTE 4.5.3). That
 * field holds 8-byte values only for the saturated fields, always in the
 * order uncompressed size, compressed size, local header offset.
 */
function applyZip64Extra(entry: CentralDirectoryEntry, extra: Buffer): CentralDirectoryEntry {
  const order = ['uncompressedSize', 'compressedSize', 'localHeaderOffset'] as const;
  const deferred = order.filter((field) => entry[field] === MAX32);
  if (deferred.length === 0) return entry;

  const data = findExtraField(extra, ZIP64_EXTRA_ID);
  const where = `central directory record ${entry.index} (${describeEntryName(entry.nameBytes)})`;
  if (data === undefined) {
    throw zipFailure(
      'corrupt zip archive',
      'zip64-extra-missing',
      `${where} defers ${deferred.join(', ')} to zip64 (0xFFFFFFFF) but has no zip64 extra field`,
      { index: entry.index, recordOffset: entry.recordOffset },
    );
  }
  if (data.length < deferred.length * 8) {
    throw zipFailure(
      'corrupt zip archive',
      'zip64-extra-short',
      `${where} has a ${data.length}-byte zip64 extra field, too short for ${deferred.join(', ')}`,
      { index: entry.index, recordOffset: entry.recordOffset },
    );
  }
  const resolved = { ...entry };
  deferred.forEach((field, slot) => {
    const value = data.readBigUInt64LE(slot * 8);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw zipFailure(
        'corrupt zip archive',
        'zip64-value-too-large',
        `${where} has a zip64 ${field} of ${value}, beyond any real file`,
        { index: entry.index, field },
      );
    }
    resolved[field] = Number(value);
  });
  return resolved;
}

/**
 * The data of the first extra block with `id` (layout in APPNOTE 4.5.1).
 * Scanning stops at a block whose length overruns the field: other tools'
 * blocks are not ours to judge, and a missing zip64 block is reported above.
 */
function findExtraField(extra: Buffer, id: number): Buffer | undefined {
  for (let at = 0; at + 4 <= extra.length; ) {
    const blockId = extra.readUInt16LE(at);
    const blockEnd = at + 4 + extra.readUInt16LE(at + 2);
    if (blockEnd > extra.length) return undefined;
    if (blockId === id) return extra.subarray(at + 4, blockEnd);
    at = blockEnd;
  }
  return undefined;
}
