import type * as NodeCrypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/**
 * One pass over the file's bytes that a signature check needs, beside the
 * loader's own SHA-256: a description, so the pass can run on this thread or
 * on another one (see signature-reader.ts).
 */
export type BytePass =
  /** The file's digest: minisign `ED` signs its BLAKE2b-512. */
  | { readonly kind: 'digest'; readonly algorithm: 'blake2b512' }
  /** A Verify fed the file: ECDSA over SHA-256, which Node cannot check over a digest made elsewhere. */
  | {
      readonly kind: 'verify';
      readonly algorithm: 'sha256';
      readonly publicKey: KeyObject;
      readonly signature: Uint8Array;
    }
  /** The file itself, for the forms that sign it in one piece (see whole-message.ts). */
  | { readonly kind: 'hold'; readonly sizeBytes: number };

/**
 * A pass's result: the digest (`digest`), whether the signature verified
 * (`verify`), the bytes (`hold`; undefined when more arrived than expected,
 * a size the download refuses anyway).
 */
export type PassResult = Uint8Array | boolean | undefined;

/** What the passes cost while the bytes stream past. */
export interface SignatureWork {
  /** One entry per extra hash over the bytes, beside the loader's own SHA-256. */
  readonly hashPasses: readonly ('blake2b512' | 'sha256')[];
  /** Bytes held in memory until the end: the whole file, for the forms that sign it in one piece. */
  readonly bufferedBytes: number;
}

export function workOf(passes: readonly BytePass[]): SignatureWork {
  return {
    hashPasses: passes.flatMap((pass) => (pass.kind === 'hold' ? [] : [pass.algorithm])),
    bufferedBytes: passes.reduce(
      (sum, pass) => sum + (pass.kind === 'hold' ? pass.sizeBytes : 0),
      0,
    ),
  };
}

/** The passes under way: fed the file's chunks in order, then asked for their results once. */
export interface PassRunner {
  update(chunk: Uint8Array): void;
  results(): PassResult[];
}

/**
 * Runs the passes over the chunks given. It uses nothing but its arguments,
 * so the same function runs on a worker thread, sent there as source text
 * (signature-reader.ts): no import, no module-level name, no Buffer.
 */
export function runPasses(crypto: typeof NodeCrypto, passes: readonly BytePass[]): PassRunner {
  const running = passes.map((pass) => {
    if (pass.kind === 'digest') {
      const hash = crypto.createHash(pass.algorithm);
      return { update: (chunk: Uint8Array) => hash.update(chunk), result: () => hash.digest() };
    }
    if (pass.kind === 'verify') {
      const verifier = crypto.createVerify(pass.algorithm);
      const result = () => {
        try {
          return verifier.verify(pass.publicKey, pass.signature);
        } catch {
          // OpenSSL may throw on a signature it cannot decode: not signed, all the same.
          return false;
        }
      };
      return { update: (chunk: Uint8Array) => verifier.update(chunk), result };
    }
    // Copied now: the download frees or reuses its chunks once they are written.
    const held = new Uint8Array(pass.sizeBytes);
    let length = 0;
    let overflowed = false;
    const update = (chunk: Uint8Array) => {
      if (length + chunk.length > held.length) overflowed = true;
      if (overflowed) return;
      held.set(chunk, length);
      length += chunk.length;
    };
    return { update, result: () => (overflowed ? undefined : held.subarray(0, length)) };
  });
  return {
    update(chunk) {
      for (const pass of running) pass.update(chunk);
    },
    results: () => running.map((pass) => pass.result()),
  };
}
