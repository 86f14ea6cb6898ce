// A small tar writer for image layers: ustar headers, and a PAX extended header
// ('x') before an entry whose name or size does not fit ustar, or that asks for
// records of its own. It writes what Go's archive/tar writes for the layers that
// docker and buildah build (their pkg/archive uses it): a ustar header when the
// entry fits, two zero blocks at the end, no padding to a 10240-byte record.
// POSIX.1-2001 pax format: https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html

export interface TarEntry {
  /** As written, e.g. 'app.jar' or './app.jar'; a directory's name ends with '/'. */
  name: string;
  type?: 'file' | 'directory' | 'symlink';
  /** Regular files only. */
  data?: Buffer;
  /** Written as given: 0o644, or 0o100644 with the file-type bits older pkg/archive adds.
   * Default 0o644, 0o755 for a directory, 0o777 for a symlink. */
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** Whole seconds are written; default 2024-01-02T03:04:05Z. */
  mtime?: Date;
  /** The target of a symlink. */
  linkName?: string;
  /** Extra PAX records (e.g. { mtime: '1704164645.5' }); any record forces a PAX header. */
  pax?: Record<string, string>;
}

const blockBytes = 512;
const defaultMtime = new Date('2024-01-02T03:04:05Z');
const maxUstarSizeBytes = 8 ** 11 - 1;
const typeFlags = { file: '0', directory: '5', symlink: '2' } as const;
const defaultModes = { file: 0o644, directory: 0o755, symlink: 0o777 } as const;

/** A tar archive holding `entries` in order. */
export function writeTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data =
      entry.type === undefined || entry.type === 'file'
        ? (entry.data ?? Buffer.alloc(0))
        : Buffer.alloc(0);
    const pax = { ...entry.pax };
    const split = splitUstarName(entry.name);
    if (!split) pax.path = entry.name;
    if (data.length > maxUstarSizeBytes) pax.size = String(data.length);
    if (entry.linkName !== undefined && !fitsUstar(entry.linkName, 100))
      pax.linkpath = entry.linkName;
    if (Object.keys(pax).length > 0) {
      const records = Buffer.from(Object.entries(pax).map(paxRecord).join(''));
      // Go's writer names the extended header after the entry: DIR/PaxHeaders.0/BASE.
      const slash = entry.name.replace(/\/$/, '').lastIndexOf('/');
      const paxName = `${entry.name.slice(0, slash + 1)}PaxHeaders.0/${entry.name.slice(slash + 1)}`;
      parts.push(
        header({ name: paxName.slice(0, 100), type: 'x', size: records.length, mode: 0, mtime: 0 }),
        padded(records),
      );
    }
    const [prefix, name] = split ?? ['', entry.name.slice(0, 100)];
    parts.push(
      header({
        name,
        prefix,
        type: typeFlags[entry.type ?? 'file'],
        size: Math.min(data.length, maxUstarSizeBytes),
        mode: entry.mode ?? defaultModes[entry.type ?? 'file'],
        uid: entry.uid ?? 0,
        gid: entry.gid ?? 0,
        uname: entry.uname ?? '',
        gname: entry.gname ?? '',
        mtime: Math.floor((entry.mtime ?? defaultMtime).getTime() / 1000),
        linkName: (entry.linkName ?? '').slice(0, 100),
      }),
      padded(data),
    );
  }
  parts.push(Buffer.alloc(2 * blockBytes));
  return Buffer.concat(parts);
}

interface HeaderFields {
  name: string;
  prefix?: string;
  type: string;
  size: number;
  mode: number;
  mtime: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  linkName?: string;
}

// ustar header layout: POSIX.1-1988, as in the pax specification's "ustar Interchange Format".
function header(fields: HeaderFields): Buffer {
  const block = Buffer.alloc(blockBytes);
  block.write(fields.name, 0, 100, 'utf8');
  octal(block, 100, 8, fields.mode);
  octal(block, 108, 8, fields.uid ?? 0);
  octal(block, 116, 8, fields.gid ?? 0);
  octal(block, 124, 12, fields.size);
  octal(block, 136, 12, fields.mtime);
  block.write(fields.type, 156, 1, 'ascii');
  block.write(fields.linkName ?? '', 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 8, 'ascii');
  block.write(fields.uname ?? '', 265, 32, 'utf8');
  block.write(fields.gname ?? '', 297, 32, 'utf8');
  octal(block, 329, 8, 0);
  octal(block, 337, 8, 0);
  block.write(fields.prefix ?? '', 345, 155, 'utf8');
  // The checksum is summed with its own field as eight spaces, then written as 6 digits, NUL, space.
  block.fill(' ', 148, 156);
  const sum = block.reduce((total, byte) => total + byte, 0);
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return block;
}

/** An octal number filling `width - 1` digits and a NUL, as Go and GNU tar write them. */
function octal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(`${value.toString(8).padStart(width - 1, '0')}\u0000`, offset, width, 'ascii');
}

function padded(data: Buffer): Buffer {
  const remainder = data.length % blockBytes;
  return remainder === 0 ? data : Buffer.concat([data, Buffer.alloc(blockBytes - remainder)]);
}

/** `LEN key=value\n`, where LEN counts the whole record including its own digits. */
function paxRecord([key, value]: [string, string]): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body);
  while (String(length).length + Buffer.byteLength(body) !== length) {
    length = String(length).length + Buffer.byteLength(body);
  }
  return `${length}${body}`;
}

function fitsUstar(text: string, maxBytes: number): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ustar fields hold printable ASCII only
  return Buffer.byteLength(text) <= maxBytes && /^[\u0000-\u007f]*$/.test(text);
}

/** [prefix, name] for ustar, splitting at a '/' as Go does; undefined when it needs PAX. */
function splitUstarName(path: string): [string, string] | undefined {
  if (fitsUstar(path, 100)) return ['', path];
  if (!fitsUstar(path, 256)) return undefined;
  for (let at = path.indexOf('/'); at !== -1; at = path.indexOf('/', at + 1)) {
    const prefix = path.slice(0, at);
    const name = path.slice(at + 1);
    if (prefix.length <= 155 && name.length > 0 && name.length <= 100) return [prefix, name];
  }
  return undefined;
}
