/**
 * A layer blob as fetched, decompressed as its media type says (gzip, or
 * zstd, which node:zlib decodes since Node 22.15), then searched for the
 * file. The blob is read to its end either way, so a hash of it taken on the
 * way in covers every byte. Data that does not decompress is an
 * IntegrityError naming the compression: the blob is not what its media type
 * says.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IntegrityError } from '../errors.ts';
import { findFileInTar, type TarSearch, type TarSearchResult } from './tar-file.ts';

export type Compression = 'gzip' | 'zstd' | 'none';

/** Searches one layer for `search.path`; see findFileInTar for what the result means. */
export async function findFileInLayer(
  blob: Readable | AsyncIterable<Uint8Array>,
  compression: Compression,
  search: TarSearch,
): Promise<TarSearchResult> {
  let result: TarSearchResult = { kind: 'absent' };
  const searchTar = async (tar: AsyncIterable<Uint8Array>) => {
    result = await findFileInTar(tar, search);
  };
  // The signal also ends a wait for the blob's next bytes, not only one for the sink.
  const options = search.signal === undefined ? {} : { signal: search.signal };
  if (compression === 'none') {
    await pipeline(blob, searchTar, options);
    return result;
  }
  // node:zlib at its first use: a download from a URL never loads it.
  const zlib = process.getBuiltinModule('node:zlib');
  const decompressor = compression === 'gzip' ? zlib.createGunzip() : zlib.createZstdDecompress();
  let decompressError: unknown;
  decompressor.once('error', (error) => {
    decompressError = error;
  });
  try {
    await pipeline(blob, decompressor, searchTar, options);
  } catch (error) {
    if (error !== undefined && error === decompressError) {
      const { code, message } = error as { code?: unknown; message?: unknown };
      throw new IntegrityError(
        `the layer is not valid ${compression} data (${String(message)}${typeof code === 'string' ? `, ${code}` : ''}), though its media type says it is`,
        { cause: error },
      );
    }
    throw error;
  }
  return result;
}
