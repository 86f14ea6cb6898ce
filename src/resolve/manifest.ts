/**
 * A manifest document as a registry sends it: an image manifest (OCI, or
 * Docker schema 2) or an index of them (OCI index, or Docker manifest list).
 * Its type is the document's own `mediaType` field, else the response's
 * Content-Type, else its shape; a document shaped as both is refused, as the
 * OCI spec's fix for manifest/index confusion intends. Bounded at 4 MiB, the
 * limit distribution itself puts on a manifest it accepts.
 *
 * A document that is not valid JSON or breaks the spec's shape is an
 * IntegrityError (not what a registry serves for a sound artifact); one of a
 * kind the loader does not read is a ConfigError (the reference names the
 * wrong thing).
 */
import { ConfigError, IntegrityError } from '../errors.ts';
import { digestProblem, sha256DigestOf } from '../oci/digest.ts';
import {
  bareMediaType,
  dockerSchema1,
  imageManifestTypes,
  indexTypes,
  manifestAccept,
  ociIndex,
  ociManifest,
} from './media-types.ts';

export const maxManifestBytes = 4 * 1024 * 1024;

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant: string | undefined;
}

export interface Descriptor {
  readonly mediaType: string;
  /** `sha256:<hex>`: other algorithms are refused. */
  readonly digest: string;
  readonly sizeBytes: number;
  readonly annotations: ReadonlyMap<string, string>;
  readonly platform: Platform | undefined;
  /** An artifact's type, as a referrers list names it (OCI image spec 1.1). */
  readonly artifactType: string | undefined;
}

export interface ImageIndex {
  readonly kind: 'index';
  readonly mediaType: string;
  /** sha256 of the document's bytes: what a tag pointed at. */
  readonly digest: string;
  readonly manifests: readonly Descriptor[];
}

export interface ImageManifest {
  readonly kind: 'image';
  readonly mediaType: string;
  /** sha256 of the document's bytes: what a tag pointed at. */
  readonly digest: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}

export type ManifestDocument = ImageIndex | ImageManifest;

type Fields = Record<string, unknown>;

export interface ManifestSource {
  /** Names the document in errors: `the manifest of oci://…`. */
  readonly what: string;
  /** The response's Content-Type, if any. */
  readonly contentType?: string | undefined;
  /** The digest it was fetched by (a pinned reference, an index entry): the bytes must hash to it. */
  readonly expectedDigest?: string | undefined;
}

/** Reads a manifest or index, after checking its size and, when fetched by digest, its digest. */
export function parseManifest(
  body: Uint8Array,
  { what, contentType, expectedDigest }: ManifestSource,
): ManifestDocument {
  if (body.byteLength > maxManifestBytes) {
    throw new IntegrityError(
      `${what} is ${body.byteLength} bytes, more than a manifest may be (${maxManifestBytes})`,
    );
  }
  const digest = sha256DigestOf(body);
  if (expectedDigest !== undefined && digest !== expectedDigest) {
    throw new IntegrityError(`${what} has the digest ${digest}, expected ${expectedDigest}`, {
      details: { expectedDigest, actualDigest: digest },
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new IntegrityError(`${what} is not valid JSON`);
  }
  if (!isObject(parsed)) throw new IntegrityError(`${what} is not a JSON object`);
  const mediaType = typeOf(parsed, contentType, what);
  if (parsed.schemaVersion !== 2) {
    throw new IntegrityError(
      `${what} has schemaVersion ${JSON.stringify(parsed.schemaVersion)}, expected 2`,
    );
  }
  if (indexTypes.has(mediaType)) {
    const manifests = arrayField(parsed, 'manifests', what);
    return {
      kind: 'index',
      mediaType,
      digest,
      manifests: manifests.map((entry, index) =>
        descriptorOf(entry, `${what}: manifests[${index}]`),
      ),
    };
  }
  const config = descriptorOf(parsed.config, `${what}: config`);
  const layers = arrayField(parsed, 'layers', what);
  return {
    kind: 'image',
    mediaType,
    digest,
    config,
    layers: layers.map((entry, index) => descriptorOf(entry, `${what}: layers[${index}]`)),
  };
}

function typeOf(parsed: Fields, contentType: string | undefined, what: string): string {
  const { mediaType: declared } = parsed;
  if (declared !== undefined && typeof declared !== 'string') {
    throw new IntegrityError(`${what} has a mediaType that is not a string`);
  }
  const shapedAsIndex = 'manifests' in parsed;
  const shapedAsImage = 'layers' in parsed || 'config' in parsed;
  if (shapedAsIndex && shapedAsImage) {
    throw new IntegrityError(
      `${what} has both "manifests" and "layers": it is neither an index nor an image manifest`,
    );
  }
  const header = contentType === undefined ? '' : bareMediaType(contentType);
  const type = declared ?? header;
  if (dockerSchema1.has(type) || parsed.schemaVersion === 1) {
    throw new ConfigError(
      `${what} is a Docker schema 1 manifest, which the loader does not read (deprecated since 2017): push the artifact again with a current client`,
    );
  }
  const isIndex = indexTypes.has(type);
  if (isIndex || imageManifestTypes.has(type)) {
    if (isIndex ? shapedAsImage : shapedAsIndex) {
      throw new IntegrityError(
        `${what} says it is ${type} but is shaped as the other kind of manifest`,
      );
    }
    return type;
  }
  // A registry may send a manifest without its mediaType field as plain application/json.
  if (declared === undefined && shapedAsIndex) return ociIndex;
  if (declared === undefined && shapedAsImage) return ociManifest;
  throw new ConfigError(
    `${what} is ${type === '' ? 'of no media type' : JSON.stringify(type)}, not an image manifest or index; expected one of ${manifestAccept}`,
  );
}

function descriptorOf(value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw new IntegrityError(`${where} is not a descriptor object`);
  const { mediaType, digest, size, annotations, platform, artifactType } = value;
  if (typeof mediaType !== 'string' || mediaType === '')
    throw new IntegrityError(`${where} has no mediaType`);
  if (typeof digest !== 'string') throw new IntegrityError(`${where} has no digest`);
  const problem = digestProblem(digest);
  if (problem !== undefined) throw new IntegrityError(`${where}: ${problem}`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new IntegrityError(
      `${where} has the size ${JSON.stringify(size)}; expected a whole number of bytes`,
    );
  }
  return {
    mediaType,
    digest,
    sizeBytes: size,
    annotations: stringMap(annotations, `${where}: annotations`),
    platform: platform === undefined ? undefined : platformOf(platform, `${where}: platform`),
    artifactType: typeof artifactType === 'string' ? artifactType : undefined,
  };
}

function platformOf(value: unknown, where: string): Platform {
  if (!isObject(value)) throw new IntegrityError(`${where} is not an object`);
  const { os, architecture, variant } = value;
  if (
    typeof os !== 'string' ||
    typeof architecture !== 'string' ||
    (variant !== undefined && typeof variant !== 'string')
  ) {
    throw new IntegrityError(
      `${where} needs "os" and "architecture" as strings (and "variant", if any)`,
    );
  }
  return { os, architecture, variant: variant === '' ? undefined : variant };
}

function stringMap(value: unknown, where: string): ReadonlyMap<string, string> {
  if (value === undefined || value === null) return new Map();
  if (!isObject(value) || !Object.values(value).every((item) => typeof item === 'string')) {
    throw new IntegrityError(`${where} is not an object of strings`);
  }
  return new Map(Object.entries(value as Record<string, string>));
}

function arrayField(parsed: Fields, name: string, what: string): unknown[] {
  const value = parsed[name];
  if (!Array.isArray(value)) throw new IntegrityError(`${what} has no "${name}" array`);
  return value;
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
