import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { readRecord, type VerificationRecord } from '../artifact/verification-record.ts';
import { describeKeys, type KeySet } from '../config/public-keys.ts';
import type { ArtifactLocation, LoaderConfig, VerifyJar } from '../config/types.ts';
import { repositoryOf } from '../oci/reference.ts';
import {
  redactUrl,
  sameVersionSelectors,
  type VersionSelectors,
  versionSelectorsOf,
} from '../urls/shown.ts';

export type VerifiedFile =
  | { readonly kind: 'verified'; readonly record: VerificationRecord }
  | { readonly kind: 'unverified'; readonly reason: string };

/**
 * Whether the file in place is, provably, the artifact an earlier run
 * verified for this same request (asked when there is no ARTIFACT_SHA256):
 * its record names the same URL identity (scheme://host/path and the query's
 * version selectors, see urls/shown.ts), or for `oci://` the same repository
 * and file in the image, and expected size, a key still given signed it when
 * keys are given (signerProblem), and the file still has that size and, read
 * again in full, that SHA-256. Anything else (no record, another path,
 * version, size or signer, a byte changed in place) is never vouched for.
 * Which version of an `oci://` artifact the record vouches for is its
 * manifest digest: the plan weighs it against the reference.
 */
export async function findVerifiedFile(
  config: LoaderConfig,
  existing: Stats | undefined,
  signal: AbortSignal,
): Promise<VerifiedFile> {
  const unverified = (reason: string): VerifiedFile => ({ kind: 'unverified', reason });
  if (existing === undefined) return unverified('no file in place');
  if (!existing.isFile()) return unverified('the target is not a regular file');
  const record = await readRecord(config.outputPath);
  if (record === undefined) {
    return unverified(
      'no ARTIFACT_SHA256 and no valid verification record to prove the file in place',
    );
  }
  const otherSource = sourceMismatch(record, config.artifact);
  if (otherSource !== undefined) return unverified(otherSource);
  const { expectedSizeBytes } = config.artifact;
  if (expectedSizeBytes !== undefined && record.sizeBytes !== expectedSizeBytes) {
    return unverified('the file in place was verified for another expected size');
  }
  if (!jarCheckSuffices(record.jarCheck, config.verifyJar)) {
    return unverified(
      `the file in place was published with the JAR check ${record.jarCheck}, and LOADER_VERIFY_JAR=${config.verifyJar} asks for more`,
    );
  }
  const signer = signerProblem(record, config.publicKeys);
  if (signer !== undefined) return unverified(signer);
  if (existing.size !== record.sizeBytes) {
    return unverified('the file in place changed since it was verified (another size)');
  }
  if ((await sha256OfFile(config.outputPath, signal)) !== record.sha256) {
    return unverified('the file in place changed since it was verified (another SHA-256)');
  }
  return { kind: 'verified', record };
}

/** Why the record is of another artifact than `artifact` names; undefined when it is of this one. */
function sourceMismatch(
  record: VerificationRecord,
  artifact: ArtifactLocation,
): string | undefined {
  if (artifact.kind === 'oci') {
    if (record.url !== repositoryOf(artifact.reference) || record.manifestDigest === undefined) {
      return 'the file in place was verified for another artifact (registry and repository)';
    }
    if (record.file !== artifact.registry.imageFile) {
      return `the file in place was taken from ${record.file} in the image, and LOADER_OCI_FILE is ${artifact.registry.imageFile}`;
    }
    return undefined;
  }
  if (record.url !== redactUrl(artifact.url) || record.manifestDigest !== undefined) {
    return 'the file in place was verified for another URL (scheme://host/path)';
  }
  const selectors = versionSelectorsOf(artifact.url);
  if (!sameVersionSelectors(record.selectors ?? {}, selectors)) {
    return `the file in place was verified for another version of the object: the URL's version selectors are ${shown(selectors)}, the record's ${shown(record.selectors ?? {})}`;
  }
  return undefined;
}

/**
 * Why the record cannot stand in for the signature check the keys ask for,
 * or undefined when it can (or no key is given): it must name the key that
 * signed the file, and that key must still be among the keys given, so a
 * key taken out of the set (rotated, revoked) vouches for nothing any more.
 */
export function signerProblem(
  record: VerificationRecord,
  keys: KeySet | undefined,
): string | undefined {
  if (keys === undefined) return undefined;
  if (record.signedBy === undefined) {
    return `the file in place was verified without a publisher signature, and ${keys.source} asks for one`;
  }
  if (!keys.keys.some((key) => key.id === record.signedBy)) {
    return `the file in place was signed by key ${record.signedBy}, which is no longer among the keys given (${describeKeys(keys)})`;
  }
  return undefined;
}

/**
 * The key a record says signed the file, as a run's result reports it: only
 * when keys are given, since only then has signerProblem held the record to
 * them; without keys the record's word is checked against nothing.
 */
export function recordedSigner(
  record: VerificationRecord,
  keys: KeySet | undefined,
): { readonly signedBy?: string } {
  return keys === undefined || record.signedBy === undefined ? {} : { signedBy: record.signedBy };
}

/** true demands a sound zip; auto accepts what auto accepts (a sound zip, or bytes with no zip signature); false, anything. */
function jarCheckSuffices(done: VerificationRecord['jarCheck'], wanted: VerifyJar): boolean {
  if (wanted === true) return done === 'checked';
  if (wanted === 'auto') return done !== 'off';
  return true;
}

/** Selectors as a reason shows them: `none`, or JSON (never `name=value`, a query's shape). */
function shown(selectors: VersionSelectors): string {
  return Object.keys(selectors).length === 0 ? 'none' : JSON.stringify(selectors);
}

/**
 * SHA-256 of the file at `path`, or undefined when it cannot be read: an
 * unreadable file only means downloading again. The deadline or a signal still
 * stops the read, with their reason.
 */
export async function sha256OfFile(path: string, signal: AbortSignal): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    // O_NOFOLLOW-like safety comes from the caller's lstat; a race would only cause a re-download.
    await pipeline(createReadStream(path), hash, { signal });
  } catch {
    if (signal.aborted) throw signal.reason;
    return undefined;
  }
  return hash.digest('hex');
}
