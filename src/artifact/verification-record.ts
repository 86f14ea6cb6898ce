import { basename, dirname, join } from 'node:path';
import { lstat, open, readFile, rename, unlink } from '../process/files.ts';
import { loaderVersion } from '../process/self.ts';
import {
  isVersionSelector,
  redactUrl,
  type VersionSelectors,
  versionSelectorsOf,
} from '../urls/shown.ts';
import { artifactMode, tempNameFor } from './temp-name.ts';
import { writeErrorFor } from './write-errors.ts';

/**
 * What the JAR check did (verify/verify-artifact.ts): `checked` (a sound zip),
 * `not-a-zip` (LOADER_VERIFY_JAR auto and nothing in the bytes claims to be a
 * zip: published, with a warning), or `off` (LOADER_VERIFY_JAR=false). The
 * record keeps it, so its words are part of the record's format.
 */
export type JarCheckOutcome = 'checked' | 'not-a-zip' | 'off';

/** What an `oci://` artifact was published from, as its record keeps it. */
export interface OciOrigin {
  /** `oci://registry/repository`: what names the artifact, whatever the tag (the record's `url`). */
  readonly repository: string;
  /** The reference as given, normalised: `oci://registry/repository:tag` (or `@sha256:…`). */
  readonly reference: string;
  /** The digest of the manifest (or index) the reference resolved to: what a tag pointed at. */
  readonly manifestDigest: string;
  /** The digest of the blob the JAR came from (the layer). */
  readonly blobDigest: string;
  /** The JAR's path in the image (LOADER_OCI_FILE), absolute. */
  readonly file: string;
}

/** The validators of the response that began the file, as the server sent them. */
interface RecordedVersion {
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
}

/**
 * What the loader knew of the artifact it published, kept beside it
 * (`.app.jar.verified.json`) so a later run can tell whether the file in place
 * is still that artifact. It holds no secret: the URL without its query,
 * userinfo or fragment (redactUrl), the query's version selectors, and the
 * server's validators.
 */
export interface VerificationRecord {
  readonly format: 1;
  /** scheme://host/path of the URL it came from. */
  readonly url: string;
  /** The URL's version selectors (S3 versionId, GCS generation...), when it had any: part of what it names. */
  readonly selectors?: VersionSelectors;
  readonly sizeBytes: number;
  /** Lower-case hex SHA-256 of the published bytes. */
  readonly sha256: string;
  /** What the JAR check did before it was published; a later, stricter LOADER_VERIFY_JAR must not keep less. */
  readonly jarCheck: JarCheckOutcome;
  /**
   * The publisher's key that signed it (a minisign key id or a PEM key's
   * `sha256:` fingerprint), when ARTIFACT_PUBLIC_KEY asked for a signature: a
   * later run keeps the file only while that key is still among the keys given.
   */
  readonly signedBy?: string;
  /** The response's ETag and Last-Modified, when it had them. */
  readonly etag?: string;
  readonly lastModified?: string;
  /** When it was verified and published (ISO 8601). */
  readonly verifiedAt: string;
  readonly loaderVersion: string;
  /** For an `oci://` artifact: the reference and digests it came from (see OciOrigin); `url` is its repository. */
  readonly reference?: string;
  readonly manifestDigest?: string;
  readonly blobDigest?: string;
  readonly file?: string;
}

/** A record is a few hundred bytes; anything much larger is not one. */
const maxRecordBytes = 16 * 1024;

/**
 * The record of bytes just verified, fetched from `url` in the given
 * version, or pulled from a registry (`OciOrigin`; a blob's validators are
 * its digest, so none is kept), signed by `signedBy` (a key id) when keys
 * are given.
 */
export function newRecord(
  from: URL | OciOrigin,
  sizeBytes: number,
  sha256: string,
  jarCheck: JarCheckOutcome,
  version: RecordedVersion,
  signedBy?: string,
): VerificationRecord {
  if (!(from instanceof URL)) {
    const { repository, ...oci } = from;
    return {
      format: 1,
      url: repository,
      sizeBytes,
      sha256,
      jarCheck,
      ...(signedBy === undefined ? {} : { signedBy }),
      verifiedAt: new Date().toISOString(),
      loaderVersion,
      ...oci,
    };
  }
  const url = from;
  const selectors = versionSelectorsOf(url);
  return {
    format: 1,
    url: redactUrl(url),
    ...(Object.keys(selectors).length === 0 ? {} : { selectors }),
    sizeBytes,
    sha256,
    jarCheck,
    ...(signedBy === undefined ? {} : { signedBy }),
    ...(version.etag === undefined ? {} : { etag: version.etag }),
    ...(version.lastModified === undefined ? {} : { lastModified: version.lastModified }),
    verifiedAt: new Date().toISOString(),
    loaderVersion,
  };
}

/** `.app.jar.verified.json` beside `app.jar`: hidden, and named after the file it vouches for. */
export function recordPathFor(targetPath: string): string {
  return join(dirname(targetPath), `.${basename(targetPath)}.verified.json`);
}

/**
 * The record beside the target, or undefined when there is none or it is not
 * a valid one: any field missing or of another type, or a validator that
 * could not be sent as a header.
 */
export async function readRecord(targetPath: string): Promise<VerificationRecord | undefined> {
  const path = recordPathFor(targetPath);
  try {
    const stats = await lstat(path);
    if (!stats.isFile() || stats.size > maxRecordBytes) return undefined;
    return asRecord(JSON.parse(await readFile(path, 'utf8')));
  } catch {
    return undefined;
  }
}

/**
 * Replaces the record atomically: written to a temp file of the target's own
 * temp-name pattern (so a crash leaves nothing the next run does not remove),
 * fsynced, then renamed over the old record. The caller fsyncs the folder.
 */
export async function writeRecord(targetPath: string, record: VerificationRecord): Promise<void> {
  const folder = dirname(targetPath);
  const tempPath = join(folder, tempNameFor(targetPath));
  try {
    const handle = await open(tempPath, 'wx', artifactMode);
    try {
      await handle.writeFile(`${JSON.stringify(record, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempPath, recordPathFor(targetPath));
  } catch (error) {
    await unlink(tempPath).catch(() => {});
    throw writeErrorFor(error, 'writing the verification record', folder);
  }
}

/** Removes the record, if any: nothing is then vouched for. */
export async function removeRecord(targetPath: string): Promise<void> {
  await unlink(recordPathFor(targetPath)).catch(() => {});
}

/**
 * A header field value (RFC 9110 §5.5) of visible ASCII, with spaces and tabs
 * only inside: no CR, LF or NUL, nothing beyond ASCII. The record's
 * validators are sent back as If-None-Match / If-Modified-Since, and one
 * that cannot be (an edited record) would fail the request before it is made.
 */
const fieldValue = /^(?:[\x21-\x7e](?:[\t\x20-\x7e]*[\x21-\x7e])?)?$/;

function asRecord(value: unknown): VerificationRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const optionalHeaderValue = (field: unknown) =>
    field === undefined || (typeof field === 'string' && fieldValue.test(field));
  const valid =
    record.format === 1 &&
    typeof record.url === 'string' &&
    (record.selectors === undefined || isSelectors(record.selectors)) &&
    Number.isSafeInteger(record.sizeBytes) &&
    typeof record.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(record.sha256) &&
    (record.jarCheck === 'checked' ||
      record.jarCheck === 'not-a-zip' ||
      record.jarCheck === 'off') &&
    (record.signedBy === undefined || typeof record.signedBy === 'string') &&
    optionalHeaderValue(record.etag) &&
    optionalHeaderValue(record.lastModified) &&
    typeof record.verifiedAt === 'string' &&
    typeof record.loaderVersion === 'string' &&
    (record.manifestDigest === undefined || isOciRecord(record));
  return valid ? (record as unknown as VerificationRecord) : undefined;
}

/** The oci:// fields as newRecord writes them: all four, the digests in sha256 form. */
function isOciRecord(record: Record<string, unknown>): boolean {
  const digest = /^sha256:[0-9a-f]{64}$/;
  return (
    typeof record.reference === 'string' &&
    typeof record.manifestDigest === 'string' &&
    digest.test(record.manifestDigest) &&
    typeof record.blobDigest === 'string' &&
    digest.test(record.blobDigest) &&
    typeof record.file === 'string'
  );
}

/** Version selectors as newRecord writes them: selector names, each with a string or a list of strings. */
function isSelectors(value: unknown): value is VersionSelectors {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.entries(value).every(
    ([name, values]) =>
      isVersionSelector(name) &&
      (typeof values === 'string' ||
        (Array.isArray(values) && values.every((one) => typeof one === 'string'))),
  );
}
