/**
 * Parsers for the loader's own kinds of value (the artifact URL, a digest, a
 * path), in the one style of src/options/: each returns the normalised value
 * or throws an InvalidValueError saying what was expected; the reader puts
 * the variable and flag names in front.
 */
import { parseImageFilePath } from '../oci/image-path.ts';
import { type OciReference, parseOciReference } from '../oci/reference.ts';
import { InvalidValueError, invalidValue } from '../options/expected.ts';

/** What ARTIFACT_URL (or the file ARTIFACT_URL_FILE) names. */
export type ArtifactAddress =
  /** A signed http(s) URL. Never log it whole: use `redactUrl`. */
  | { readonly kind: 'url'; readonly url: URL }
  /** An image or artifact in an OCI registry. */
  | { readonly kind: 'oci'; readonly reference: OciReference };

/** ARTIFACT_URL: an `oci://` reference, or else a signed http(s) URL. */
export function parseArtifactAddress(raw: string): ArtifactAddress {
  if (/^oci:\/\//i.test(raw)) return { kind: 'oci', reference: parseOciReference(raw) };
  return { kind: 'url', url: parseArtifactUrl(raw) };
}

/** A signed artifact URL. The value itself is never echoed: it may carry a signature. */
export function parseArtifactUrl(raw: string): URL {
  if (!URL.canParse(raw)) {
    throw new InvalidValueError(
      'expected an absolute http:// or https:// URL, or an oci:// reference; the value is not a URL (not shown: it may carry a signature)',
    );
  }
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidValueError(
      `expected an http:// or https:// URL, or an oci:// reference, got the scheme "${url.protocol.slice(0, -1).slice(0, 16)}"`,
    );
  }
  const problem = credentialsProblem(url);
  if (problem !== undefined) throw new InvalidValueError(problem);
  return url;
}

/**
 * Why the user name or password of `url` cannot be sent as Basic
 * authentication, or undefined when they can (or there are none). The WHATWG
 * parser keeps a `%` that starts no valid escape, so `pa%zzword` parses, but
 * it can only be decoded (RFC 3986 §2.1, as UTF-8 per RFC 7617 §2.1) when
 * every `%` is followed by two hex digits forming UTF-8. Neither part is shown.
 */
export function credentialsProblem(url: URL): string | undefined {
  for (const [part, value] of [
    ['user name', url.username],
    ['password', url.password],
  ] as const) {
    try {
      decodeURIComponent(value);
    } catch {
      return `expected the ${part} in the URL to be percent-encoded correctly (every "%" followed by two hex digits, forming UTF-8; write a literal "%" as %25); the value is not shown`;
    }
  }
  return undefined;
}

/** 64 hex characters, optionally prefixed `sha256:`; returned in lower case. */
export function parseSha256(raw: string): string {
  const hex = raw.startsWith('sha256:') ? raw.slice('sha256:'.length) : raw;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw invalidValue('64 hexadecimal characters, optionally prefixed "sha256:"', raw);
  }
  return hex.toLowerCase();
}

export function parsePath(raw: string): string {
  if (raw.includes('\0'))
    throw new InvalidValueError('expected a file path, got a value with a NUL byte');
  return raw;
}

/** LOADER_OCI_FILE: the JAR's path in an image, kept absolute (`/app.jar`) as it is shown. */
export function parseImageFile(raw: string): string {
  return `/${parseImageFilePath(raw)}`;
}

/** Keys' text as given; readSignatureSettings reads the keys and names the line that is wrong. */
export function parseKeyText(raw: string): string {
  if (raw.includes('\0'))
    throw new InvalidValueError('expected public keys, got a value with a NUL byte');
  return raw;
}
