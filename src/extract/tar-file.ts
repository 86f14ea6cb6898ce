/**
 * Finds one file in a layer's tar stream and streams its bytes to a sink,
 * holding at most one partial header block besides the chunk at hand (and
 * the pax or GNU long-name data of the next entry, bounded at 1 MiB, as Go's
 * archive/tar bounds it). The whole stream is read, so a caller hashing it
 * sees every byte, and so a second entry at the same path is caught.
 *
 * What one layer says of the file (layer.md, "Applying changesets"):
 * `found` (a regular file: it wins over every lower layer), `hidden` (a
 * whiteout, or a non-folder at a parent path, removes it from the layers
 * below), or `absent` (look in the next layer down). A link, folder, device
 * or sparse file at the path is refused: a hostile layer could point a link
 * anywhere, and none of them is a JAR.
 */
import type { Writable } from 'node:stream';
import { IntegrityError, SizeMismatchError } from '../errors.ts';
import { entryPathOf, relationOf } from './entry-path.ts';
import { writeToSink } from './sink-write.ts';
import { blockBytes, parsePaxRecords, parseTarHeader, type TarHeader, text } from './tar-header.ts';

export type TarSearchResult =
  | { readonly kind: 'found'; readonly sizeBytes: number }
  | { readonly kind: 'hidden'; readonly by: string }
  | { readonly kind: 'absent' };

export interface TarSearch {
  /** The file, relative and cleaned (parseImageFilePath): `app.jar`. */
  readonly path: string;
  /** Receives the file's bytes; written to but never ended: the caller finishes it. */
  readonly sink: Writable;
  /** ARTIFACT_EXPECTED_SIZE: the entry's size must match before a byte is written. */
  readonly expectedSizeBytes?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

const maxMetadataBytes = 1024 * 1024;
/** Types that carry no data, whatever their size field says (as Go's archive/tar reads them). */
const headerOnlyTypes = new Set(['1', '2', '3', '4', '5', '6']);
const regularTypes = new Set(['0', '7']);
const typeNames: Readonly<Record<string, string>> = {
  '1': 'a hard link',
  '2': 'a symbolic link',
  '3': 'a character device',
  '4': 'a block device',
  '5': 'a folder',
  '6': 'a FIFO',
  S: 'a sparse file',
};

/** Reads `chunks` (an uncompressed tar) to the end; what it says of `search.path`. */
export async function findFileInTar(
  chunks: AsyncIterable<Uint8Array>,
  search: TarSearch,
): Promise<TarSearchResult> {
  const reader = new TarReader(search);
  for await (const chunk of chunks) {
    search.signal?.throwIfAborted();
    await reader.push(chunk);
  }
  return reader.result();
}

type Body = 'skip' | 'file' | 'pax' | 'long-name';

class TarReader {
  readonly #search: TarSearch;
  /** Bytes read so far: where errors say the problem is. */
  #offset = 0;
  /** The start of a header that arrived split across chunks; under one block. */
  #partial: Buffer = Buffer.alloc(0);
  #body: Body = 'skip';
  #remaining = 0;
  #padding = 0;
  /** GNU sparse extension blocks still to skip before the entry's data, and that data's size. */
  #sparseExtensions = false;
  #sparseDataBytes = 0;
  #metadata: Buffer[] = [];
  /** pax records and a GNU long name, for the next entry only. */
  #pax = new Map<string, string>();
  #longName: string | undefined;
  #ended = false;
  #foundBytes: number | undefined;
  #hiddenBy: string | undefined;
  /** A non-folder at a parent path: hides lower layers, and contradicts a target in this one. */
  #parentReplacedBy: string | undefined;

  constructor(search: TarSearch) {
    this.#search = search;
  }

  async push(chunk: Uint8Array): Promise<void> {
    let at = 0;
    while (at < chunk.length && !this.#ended) {
      const available = chunk.length - at;
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, available);
        await this.#data(chunk.subarray(at, at + take));
        this.#advance(take);
        at += take;
        this.#remaining -= take;
        if (this.#remaining === 0) this.#endBody();
      } else if (this.#padding > 0) {
        const skip = Math.min(this.#padding, available);
        this.#advance(skip);
        at += skip;
        this.#padding -= skip;
      } else {
        const needed = blockBytes - this.#partial.length;
        if (available < needed) {
          this.#partial = Buffer.concat([this.#partial, chunk.subarray(at)]);
          this.#advance(available);
          return;
        }
        const block =
          this.#partial.length === 0
            ? chunk.subarray(at, at + blockBytes)
            : Buffer.concat([this.#partial, chunk.subarray(at, at + needed)]);
        const blockAt = this.#offset - this.#partial.length;
        this.#partial = Buffer.alloc(0);
        this.#advance(needed);
        at += needed;
        this.#block(block, blockAt);
      }
    }
    // After the end-of-archive block the rest is padding: read (for the caller's hash), not parsed.
  }

  result(): TarSearchResult {
    if (
      !this.#ended &&
      (this.#remaining > 0 ||
        this.#padding > 0 ||
        this.#partial.length > 0 ||
        this.#sparseExtensions)
    ) {
      throw new IntegrityError(
        `the layer's tar archive ends early, at byte ${this.#offset}, in the middle of an entry`,
      );
    }
    const target = `/${this.#search.path}`;
    if (this.#foundBytes !== undefined) {
      if (this.#parentReplacedBy !== undefined) {
        throw new IntegrityError(
          `the layer has ${target} and also ${JSON.stringify(this.#parentReplacedBy)}, a non-folder at a parent path of it; refusing it`,
        );
      }
      return { kind: 'found', sizeBytes: this.#foundBytes };
    }
    const by = this.#hiddenBy ?? this.#parentReplacedBy;
    return by === undefined ? { kind: 'absent' } : { kind: 'hidden', by };
  }

  #advance(bytes: number): void {
    this.#offset += bytes;
  }

  #block(block: Uint8Array, at: number): void {
    if (this.#sparseExtensions) {
      // GNU sparse extension: 21 sparse entries, then `isextended` at byte 504.
      this.#sparseExtensions = block[504] !== 0;
      if (!this.#sparseExtensions) this.#startBody(this.#sparseDataBytes);
      return;
    }
    const header = parseTarHeader(block, at);
    if (header === undefined) {
      this.#ended = true;
      return;
    }
    if (header.type === 'x' || header.type === 'L') {
      if (header.sizeBytes > maxMetadataBytes) {
        throw new IntegrityError(
          `the layer's tar archive has a ${header.sizeBytes}-byte extended header at byte ${at}; at most ${maxMetadataBytes} are read`,
        );
      }
      this.#body = header.type === 'x' ? 'pax' : 'long-name';
      this.#startBody(header.sizeBytes);
      return;
    }
    if (header.type === 'g' || header.type === 'K') {
      // Global pax records and long link names say nothing the search uses.
      this.#body = 'skip';
      this.#startBody(header.sizeBytes);
      return;
    }
    this.#entry(header, block);
  }

  #entry(parsed: TarHeader, block: Uint8Array): void {
    const pax = this.#pax;
    const name = pax.get('GNU.sparse.name') ?? pax.get('path') ?? this.#longName ?? parsed.name;
    // A pre-POSIX writer marks a folder only by the slash at the end of its name.
    const header = parsed.type === '0' && name.endsWith('/') ? { ...parsed, type: '5' } : parsed;
    const paxSize = pax.get('size');
    const sparse =
      header.type === 'S' || [...pax.keys()].some((key) => key.startsWith('GNU.sparse.'));
    this.#pax = new Map();
    this.#longName = undefined;
    const sizeBytes = headerOnlyTypes.has(header.type)
      ? 0
      : paxSize !== undefined
        ? this.#paxSize(paxSize)
        : header.sizeBytes;
    const path = entryPathOf(name);
    const relation = path === undefined ? 'unrelated' : relationOf(path, this.#search.path);
    this.#body = 'skip';
    if (relation === 'target') this.#target(header, name, sizeBytes, sparse);
    else if (relation === 'whiteout') this.#hiddenBy ??= name;
    else if (relation === 'parent' && header.type !== '5') this.#parentReplacedBy ??= name;
    this.#sparseExtensions = header.type === 'S' && block[482] !== 0;
    if (this.#sparseExtensions) this.#sparseDataBytes = sizeBytes;
    else this.#startBody(sizeBytes);
  }

  #target(header: TarHeader, name: string, sizeBytes: number, sparse: boolean): void {
    const target = `/${this.#search.path}`;
    if (this.#foundBytes !== undefined) {
      throw new IntegrityError(
        `the layer has ${target} twice (again as ${JSON.stringify(name)}); refusing an ambiguous layer`,
      );
    }
    if (!regularTypes.has(header.type) || sparse) {
      const what = sparse
        ? typeNames.S
        : (typeNames[header.type] ?? `an entry of tar type "${header.type}"`);
      throw new IntegrityError(
        `${target} in the layer is ${what}, not a regular file; refusing it`,
      );
    }
    const expected = this.#search.expectedSizeBytes;
    if (expected !== undefined && expected !== sizeBytes) {
      throw new SizeMismatchError(
        `${target} in the layer is ${sizeBytes} bytes, ARTIFACT_EXPECTED_SIZE is ${expected}; not extracting it`,
        {
          details: { expectedBytes: expected, entryBytes: sizeBytes },
        },
      );
    }
    this.#foundBytes = sizeBytes;
    this.#body = 'file';
  }

  #paxSize(raw: string): number {
    const size = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(size)) {
      throw new IntegrityError(
        `the layer's tar archive has an invalid pax size near byte ${this.#offset}`,
      );
    }
    return size;
  }

  #startBody(sizeBytes: number): void {
    this.#remaining = sizeBytes;
    this.#padding = (blockBytes - (sizeBytes % blockBytes)) % blockBytes;
    if (sizeBytes === 0) this.#endBody();
  }

  async #data(data: Uint8Array): Promise<void> {
    if (this.#body === 'file') await writeToSink(this.#search.sink, data, this.#search.signal);
    else if (this.#body !== 'skip') this.#metadata.push(Buffer.from(data));
  }

  #endBody(): void {
    if (this.#body === 'pax' || this.#body === 'long-name') {
      const data = Buffer.concat(this.#metadata);
      const at = this.#offset - data.length;
      if (this.#body === 'pax')
        for (const [key, value] of parsePaxRecords(data, at)) this.#pax.set(key, value);
      else this.#longName = text(data, 0, data.length);
    }
    this.#metadata = [];
    this.#body = 'skip';
  }
}
