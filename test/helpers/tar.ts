// Tar archives written byte by byte, for cases GNU tar will not make (a bad checksum, a pax size,
// a base-256 size, a hostile layer); GNU tar itself makes the ordinary ones (see gnuTar).
import { spawn } from 'node:child_process';
import { once } from 'node:events';

export const block = 512;

export interface TarEntry {
  name: string;
  /** Tar type flag; default '0' (regular file). */
  type?: string;
  data?: Uint8Array;
  /** The size field, when it should differ from data's length (a pax size, a link). */
  sizeField?: number | 'base-256';
  linkName?: string;
  /** POSIX ustar prefix field (name is then the part after it). */
  prefix?: string;
  /** GNU magic instead of POSIX ustar's. */
  gnu?: boolean;
}

/** One header block with a valid checksum. */
export function tarHeader(entry: TarEntry, dataBytes = entry.data?.length ?? 0): Buffer {
  const header = Buffer.alloc(block);
  header.write(entry.name, 0, 100, 'utf8');
  header.write('0000644\0', 100, 'latin1');
  header.write('0001750\0', 108, 'latin1');
  header.write('0001750\0', 116, 'latin1');
  if (entry.sizeField === 'base-256') {
    header[124] = 0x80;
    header.writeUIntBE(dataBytes, 124 + 12 - 6, 6);
  } else {
    header.write(
      `${(entry.sizeField ?? dataBytes).toString(8).padStart(11, '0')}\0`,
      124,
      'latin1',
    );
  }
  header.write('14740000000\0', 136, 'latin1');
  header.write(entry.type ?? '0', 156, 'latin1');
  header.write(entry.linkName ?? '', 157, 100, 'utf8');
  header.write(entry.gnu ? 'ustar  \0' : 'ustar\u000000', 257, 'latin1');
  if (entry.prefix !== undefined) header.write(entry.prefix, 345, 155, 'utf8');
  return withChecksum(header);
}

/** Sets the header's checksum field for its current bytes. */
export function withChecksum(header: Buffer): Buffer {
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return header;
}

/** pax records, each `LENGTH key=value\n` with LENGTH counting itself. */
export function paxData(records: Record<string, string>): Buffer {
  return Buffer.concat(
    Object.entries(records).map(([key, value]) => {
      const rest = ` ${key}=${value}\n`;
      let length = Buffer.byteLength(rest) + 1;
      while (String(length).length + Buffer.byteLength(rest) !== length) length += 1;
      return Buffer.from(`${length}${rest}`);
    }),
  );
}

export function padding(bytes: number): Buffer {
  return Buffer.alloc((block - (bytes % block)) % block);
}

/** The entries, each padded, then the two zero blocks that end an archive (unless `end` is false). */
export function tarOf(entries: readonly TarEntry[], { end = true } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = Buffer.from(entry.data ?? new Uint8Array());
    parts.push(tarHeader(entry), data, padding(data.length));
  }
  if (end) parts.push(Buffer.alloc(2 * block));
  return Buffer.concat(parts);
}

/** A regular file entry. */
export function file(
  name: string,
  data: string | Uint8Array,
  extra: Partial<TarEntry> = {},
): TarEntry {
  return { name, data: typeof data === 'string' ? Buffer.from(data) : data, ...extra };
}

/** The bytes of `buffer` in chunks of the given sizes, cycling through them. */
export function* chunked(buffer: Uint8Array, sizes: readonly number[]): Generator<Uint8Array> {
  let at = 0;
  for (let index = 0; at < buffer.length; index += 1) {
    const size = sizes[index % sizes.length] ?? buffer.length;
    yield buffer.subarray(at, at + size);
    at += size;
  }
}

/**
 * The archive `tar ARGS -cf - -C folder NAMES` writes to stdout, as it
 * comes; throws at the end if tar failed. GNU tar is the independent writer
 * the reader is checked against.
 */
export async function* gnuTar(
  folder: string,
  args: readonly string[],
  names: readonly string[],
): AsyncGenerator<Buffer> {
  const child = spawn('tar', [...args, '-cf', '-', '-C', folder, ...names], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'close');
  yield* child.stdout;
  const [code] = await exited;
  if (code !== 0) throw new Error(`tar ${args.join(' ')} exited with ${String(code)}`);
}
