import type { Part } from './part.ts';

/** One part and how far it got: what survives between its attempts. */
export interface PartState {
  readonly part: Part;
  writtenBytes: number;
  /** Bytes of the part that earlier attempts fetched and its latest one did not fetch again. */
  resumedBytes: number;
}
