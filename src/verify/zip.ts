import { type CentralDirectoryEntry, readCentralDirectory } from './zip-central-directory.ts';
import { readZipEnd, type ZipEnd } from './zip-end.ts';
import {
  describeEntryName,
  entryNameForCheck,
  isUnsafeEntryName,
  shortEntryName,
} from './zip-entry-name.ts';
import { hex32, zipFailure } from './zip-errors.ts';
import { type ByteSource, withFileSource } from './zip-source.ts';

export type { ByteSource } from './zip-source.ts';

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_FIXED_SIZE_BYTES = 30;

export interface ZipSummary {
  entries: number;
  centralDirectoryOffset: number;
  centralDirectorySize: number;
  zip64: boolean;
}

/** Checks that the file at `path` is a structurally sound zip/JAR without reading the whole file. Throws IntegrityError. */
export async function verifyZipStructure(path: string, signal?: AbortSignal): Promise<ZipSummary> {
  signal?.throwIfAborted();
  return withFileSource(path, (source) => checkZipStructure(source, signal));
}

/**
 * The checks behind `verifyZipStructure`, over any random-access source.
 * Reads the tail, the central directory and the first local header: never
 * the entries' data. The signal is checked before every read.
 */
export async function checkZipStructure(
  source: ByteSource,
  signal?: AbortSignal,
): Promise<ZipSummary> {
  const guarded: ByteSource = {
    sizeBytes: source.sizeBytes,
    read: (position, length) => {
      signal?.throwIfAborted();
      return source.read(position, length);
    },
  };
  const end = await readZipEnd(guarded);
  let found = 0;
  let first: CentralDirectoryEntry | undefined;
  for await (const entry of readCentralDirectory(
    guarded,
    end.centralDirectoryOffset,
    end.centralDirectorySize,
  )) {
    checkEntry(entry, end);
    first ??= entry;
    found++;
  }
  if (found !== end.entries) {
    throw zipFailure(
      'corrupt zip archive',
      'entry-count-mismatch',
      `declared ${end.entries} entries, found ${found} in the central directory`,
      { declaredEntries: end.entries, foundEntries: found },
    );
  }
  if (first === undefined) {
    throw zipFailure(
      'empty zip archive',
      'no-entries',
      'the archive has no entries, so it cannot be a usable JAR',
    );
  }
  await checkLocalHeader(guarded, first);
  const { entries, centralDirectoryOffset, centralDirectorySize, zip64 } = end;
  return { entries, centralDirectoryOffset, centralDirectorySize, zip64 };
}

function checkEntry(entry: CentralDirectoryEntry, end: ZipEnd): void {
  const name = describeEntryName(entry.nameBytes);
  if (isUnsafeEntryName(entryNameForCheck(entry.nameBytes))) {
    throw zipFailure(
      'unsafe entry name in archive',
      'unsafe-entry-name',
      `${name} (absolute paths and '..' segments are refused)`,
      { index: entry.index, entryName: shortEntryName(entry.nameBytes) },
    );
  }
  // Local headers and their data come before the central directory (APPNOTE 4.3.6),
  // so even the 30 fixed header bytes plus the compressed data must end by its start.
  const dataEnd = entry.localHeaderOffset + LOCAL_HEADER_FIXED_SIZE_BYTES + entry.compressedSize;
  if (dataEnd > end.centralDirectoryOffset) {
    throw zipFailure(
      'corrupt zip archive',
      'local-header-out-of-bounds',
      `entry ${name} has its local header at offset ${entry.localHeaderOffset} and ${entry.compressedSize} compressed bytes, which run past the central directory start at offset ${end.centralDirectoryOffset}`,
      {
        index: entry.index,
        localHeaderOffset: entry.localHeaderOffset,
        compressedSize: entry.compressedSize,
      },
    );
  }
}

/** One small read: the first entry's local header (APPNOTE 4.3.7) must be where the directory says. */
async function checkLocalHeader(source: ByteSource, first: CentralDirectoryEntry): Promise<void> {
  const header = await source.read(first.localHeaderOffset, LOCAL_HEADER_FIXED_SIZE_BYTES);
  const signature = header.readUInt32LE(0);
  if (signature === LOCAL_HEADER_SIGNATURE) return;
  throw zipFailure(
    'corrupt zip archive',
    'bad-local-header-signature',
    `the local header of entry ${describeEntryName(first.nameBytes)} at offset ${first.localHeaderOffset} has signature ${hex32(signature)} instead of ${hex32(LOCAL_HEADER_SIGNATURE)} (bytes before the archive, or offsets shifted?)`,
    { localHeaderOffset: first.localHeaderOffset, signature },
  );
}
