/**
 * Frees the memory of body chunks that are written and hashed, at once rather
 * than at some later garbage collection. Each socket read brings a fresh
 * 64 KiB buffer; left to the collector, tens of MiB of them pile up between
 * collections (V8 sees the small JS objects, not the memory behind them).
 * Detaching an ArrayBuffer frees its memory, and the next read reuses it.
 *
 * Only a chunk that spans its whole ArrayBuffer is released: a partial view
 * may share the memory with bytes still in use (Node's pool of small
 * Buffers, a remainder that the HTTP parser put back into the socket).
 * The chunks must not be read again afterwards; they become empty.
 */
export function releaseChunks(chunks: readonly Buffer[]): void {
  for (const chunk of chunks) {
    const memory = chunk.buffer;
    if (
      memory instanceof ArrayBuffer &&
      !memory.resizable &&
      chunk.byteOffset === 0 &&
      chunk.byteLength === memory.byteLength &&
      memory.byteLength > 0
    ) {
      memory.transfer(0);
    }
  }
}
