// Byte patches that damage the JARs scripts/jar.ts builds.
import assert from 'node:assert/strict';
import { buildJar, type JarOptions } from '../../scripts/jar.ts';

/**
 * A JAR with an entry called `name`, which may be one yazl refuses ('..' segments, an absolute
 * path): a placeholder of the same length ('.' and a leading '/' made 'X') is written, then
 * patched into both the local header and the central directory record.
 */
export async function jarWithEntryName(name: string, options: JarOptions = {}): Promise<Buffer> {
  const placeholder = name.replaceAll('.', 'X').replace(/^\//, 'X');
  const extra = { ...options.extra, [placeholder]: Buffer.from('x') };
  const bytes = await buildJar({ ...options, extra });
  return patchAll(bytes, placeholder, name, 2);
}

/** Replaces every occurrence of `from` with the same-length `to`, asserting how many there were. */
function patchAll(bytes: Buffer, from: string, to: string, expectedCount: number): Buffer {
  assert.equal(Buffer.byteLength(from), Buffer.byteLength(to));
  const needle = Buffer.from(from);
  const patched = Buffer.from(bytes);
  let count = 0;
  for (let at = patched.indexOf(needle); at !== -1; at = patched.indexOf(needle, at + 1)) {
    Buffer.from(to).copy(patched, at);
    count++;
  }
  assert.equal(count, expectedCount, `expected ${expectedCount} copies of ${from}`);
  return patched;
}
