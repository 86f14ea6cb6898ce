import { setFlagsFromString } from 'node:v8';

/**
 * Keeps undici's HTTP parser (llhttp, WebAssembly) on V8's baseline code.
 * Once it turns hot, V8 recompiles it with its optimising compiler, and that
 * compile leaves about 10 MiB in the process for the rest of the run: a sixth
 * of the peak. The parser reads headers and steps over body bytes, so the
 * baseline code loses nothing measurable. V8 reads these flags when the module
 * is compiled, at the first connection, so they must be set before that; set on
 * the command line instead, they would also void Node's code cache (25 ms).
 */
export function keepWebAssemblyOnBaseline(): void {
  setFlagsFromString('--no-wasm-tier-up');
  setFlagsFromString('--no-wasm-dynamic-tiering');
}
