import type { ObjectVersion } from '../download/revalidate/object-version.ts';

/** Start of the range of modification times derived from a digest. */
const derivedEpochMs = Date.UTC(2000, 0, 1);
/** Width of that range: twenty years of seconds, so every derived time lies in the past. */
const derivedRangeSeconds = 20 * 365 * 24 * 60 * 60;

/**
 * The modification time the published file gets, the same on every replica
 * and restart for the same bytes, because a JVM's CDS/AOT archive is rejected
 * when its JAR's modification time (or size) is not the one it was made with:
 * - the server's Last-Modified, when it sent one;
 * - otherwise a time derived from the SHA-256 (a second between 2000 and
 *   2020). Not one fixed time for every artifact: the JVM compares only time
 *   and size, so a fixed time would let a different JAR of the same size pass
 *   for the archived one.
 */
export function stableModifiedTime(version: ObjectVersion, sha256: string): Date {
  const lastModifiedMs =
    version.lastModified === undefined ? Number.NaN : Date.parse(version.lastModified);
  if (!Number.isNaN(lastModifiedMs)) return new Date(lastModifiedMs);
  const seconds = Number.parseInt(sha256.slice(0, 12), 16) % derivedRangeSeconds;
  return new Date(derivedEpochMs + seconds * 1000);
}
