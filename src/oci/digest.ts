/**
 * Content digests as the OCI image spec writes them, `algorithm:encoded`
 * (descriptor.md, "Digests"). The loader accepts sha256 only: it is the one
 * algorithm every registry and client must support, and the one the loader
 * hashes with anyway (ARTIFACT_SHA256, the verification record). A sha512
 * digest is refused by name rather than as a malformed value.
 */
import { createHash } from 'node:crypto';
import { quote } from '../options/expected.ts';

/** The spec's grammar for any digest: algorithm components, then the encoded value. */
const anyDigest = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
const sha256Digest = /^sha256:[a-f0-9]{64}$/;

/** Why `raw` is not a sha256 digest the loader accepts, or undefined when it is one. */
export function digestProblem(raw: string): string | undefined {
  if (sha256Digest.test(raw)) return undefined;
  const match = anyDigest.exec(raw);
  if (match === null) return `expected a digest such as sha256:<64 hex digits>, got ${quote(raw)}`;
  const [, algorithm = '', encoded = ''] = match;
  if (algorithm !== 'sha256') {
    return `only sha256 digests are accepted, got a ${quote(algorithm)} digest (push or pin the artifact by its sha256 digest)`;
  }
  if (/^[a-fA-F0-9]{64}$/.test(encoded)) {
    return `expected the sha256 digest in lower-case hex, got ${quote(raw)}`;
  }
  return `expected 64 lower-case hex digits after "sha256:", got ${encoded.length} characters`;
}

/** `sha256:<hex>` of `bytes`. */
export function sha256DigestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
