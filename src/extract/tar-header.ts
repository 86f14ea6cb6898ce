/**
 * One 512-byte tar header, in the formats image builders write (POSIX
 * ustar, pax, GNU; Go's archive/tar, which docker, buildah and podman use,
 * writes all three): name (with ustar's prefix), size (octal, or GNU's
 * base-256 for large files), type and checksum. Extended headers (pax `x`,
 * GNU `L`) are read by the caller, which applies them to the next entry.
 */
import { IntegrityError } from '../errors.ts';

export const blockBytes = 512;

export interface TarHeader {
  readonly name: string;
  readonly sizeBytes: number;
  /** The type flag: `0` regular file (also for an old NUL flag), `5` folder, `x` pax header… */
  readonly type: string;
}

const checksumStart = 148;
const checksumLength = 8;

/** The header in `block`, or undefined for the all-zero block that ends an archive. `at` is its offset, for errors. */
export function parseTarHeader(block: Uint8Array, at: number): TarHeader | undefined {
  if (block.every((byte) => byte === 0)) return undefined;
  const stored = numberField(block, checksumStart, checksumLength, 'checksum', at);
  let unsigned = 0;
  let signed = 0;
  for (let index = 0; index < blockBytes; index += 1) {
    const byte =
      index >= checksumStart && index < checksumStart + checksumLength ? 0x20 : (block[index] ?? 0);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  if (stored !== unsigned && stored !== signed) {
    throw new IntegrityError(
      `the layer is not a valid tar archive: the header at byte ${at} fails its checksum`,
    );
  }
  const magic = Buffer.from(block.subarray(257, 265)).toString('latin1');
  const name = text(block, 0, 100);
  // Only POSIX ustar has the prefix field; GNU keeps other data there.
  const prefix = magic === 'ustar\u000000' ? text(block, 345, 155) : '';
  const flag = String.fromCharCode(block[156] ?? 0);
  return {
    name: prefix === '' ? name : `${prefix}/${name}`,
    sizeBytes: numberField(block, 124, 12, 'size', at),
    type: flag === '\0' ? '0' : flag,
  };
}

/** pax extended header records, `LENGTH KEY=VALUE\n` each (POSIX pax, "pax Header Block"). */
export function parsePaxRecords(data: Uint8Array, at: number): Map<string, string> {
  const records = new Map<string, string>();
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let position = 0;
  while (position < bytes.length && bytes[position] !== 0) {
    const space = bytes.indexOf(0x20, position);
    const length = Number(bytes.toString('latin1', position, space));
    const end = position + length;
    const equals = bytes.indexOf(0x3d, space);
    if (
      space < 0 ||
      !Number.isSafeInteger(length) ||
      length <= 0 ||
      end > bytes.length ||
      bytes[end - 1] !== 0x0a ||
      equals < 0 ||
      equals >= end
    ) {
      throw new IntegrityError(
        `the layer is not a valid tar archive: the pax header at byte ${at} is malformed`,
      );
    }
    records.set(
      bytes.toString('utf8', space + 1, equals),
      bytes.toString('utf8', equals + 1, end - 1),
    );
    position = end;
  }
  return records;
}

/** A NUL-terminated name field, as UTF-8 (what pax and every current writer use). */
export function text(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const nul = field.indexOf(0);
  return Buffer.from(nul < 0 ? field : field.subarray(0, nul)).toString('utf8');
}

/** Octal digits padded with spaces or NULs, or GNU base-256 when the first byte's high bit is set. */
function numberField(
  block: Uint8Array,
  start: number,
  length: number,
  what: string,
  at: number,
): number {
  const field = block.subarray(start, start + length);
  const invalid = () =>
    new IntegrityError(
      `the layer is not a valid tar archive: the header at byte ${at} has an invalid ${what}`,
    );
  const first = field[0] ?? 0;
  if (first & 0x80) {
    if (first & 0x40) throw invalid(); // negative
    let value = BigInt(first & 0x3f);
    for (const byte of field.subarray(1)) value = value * 256n + BigInt(byte);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid();
    return Number(value);
  }
  const digits = Buffer.from(field)
    .toString('latin1')
    .replace(/^[ \0]+|[ \0]+$/g, '');
  if (digits === '') return 0;
  if (!/^[0-7]+$/.test(digits)) throw invalid();
  return Number.parseInt(digits, 8);
}
