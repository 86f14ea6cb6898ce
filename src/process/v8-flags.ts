/** From this size on, a download runs long enough for V8's optimizing compiler to take part. */
export const longDownloadBytes = 64 * 1024 * 1024;

/**
 * Leaves V8's optimizing compiler (TurboFan) out of the rest of a run that
 * downloads `sizeBytes` (or more), from longDownloadBytes on. Its compilations
 * of the body path raised the peak RSS of a 1 GiB download by 6 MiB for no
 * measurable speed: the bytes are hashed and written by native code, and V8's
 * mid tier (Maglev) still compiles the JavaScript around them. Smaller
 * downloads end before it starts. Set from code: on the command line any V8
 * flag voids Node's code cache of its own modules; here only the modules
 * loaded afterwards compile without it (node:https and node:tls, at the first
 * request of an https download: about 7 ms of a long download).
 */
export function tuneCompilerForDownloadOf(sizeBytes: number): void {
  if (sizeBytes < longDownloadBytes) return;
  process.getBuiltinModule('node:v8').setFlagsFromString('--no-turbofan');
}
