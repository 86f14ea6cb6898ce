// What a registry holds for one artifact: a manifest, the blobs it names, and for an
// index the manifests it points to; and pushing all of it in the order a registry
// accepts (blobs and child manifests before the manifest that names them).
import type { Credentials, RegistryTarget } from './client.ts';
import { pushBlob, pushManifest, sha256Digest } from './push.ts';

export interface Blob {
  mediaType: string;
  bytes: Buffer;
  digest: string;
  size: number;
}

export interface Artifact {
  mediaType: string;
  /** The exact bytes pushed: the digest covers them, whitespace included. */
  manifest: Buffer;
  digest: string;
  size: number;
  /** Config first, then layers. */
  blobs: Blob[];
  /** For an index: the manifests it lists, pushed by digest before it. */
  children: Artifact[];
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export function blob(mediaType: string, bytes: Buffer): Blob {
  return { mediaType, bytes, digest: sha256Digest(bytes), size: bytes.length };
}

export function artifact(
  mediaType: string,
  manifest: string,
  blobs: Blob[],
  children: Artifact[] = [],
): Artifact {
  const bytes = Buffer.from(manifest);
  return {
    mediaType,
    manifest: bytes,
    digest: sha256Digest(bytes),
    size: bytes.length,
    blobs,
    children,
  };
}

/** An OCI descriptor: mediaType, digest, size, then the optional fields, in image-spec's Go order. */
export function ociDescriptor(
  of: { mediaType: string; digest: string; size: number },
  extra: { annotations?: Record<string, string>; data?: string; platform?: Platform } = {},
) {
  return { mediaType: of.mediaType, digest: of.digest, size: of.size, ...extra };
}

/** A Docker descriptor: mediaType, size, digest (distribution.Descriptor's field order). */
export function dockerDescriptor(
  of: { mediaType: string; digest: string; size: number },
  extra: { platform?: Platform } = {},
) {
  return { mediaType: of.mediaType, size: of.size, digest: of.digest, ...extra };
}

/** Pushes children, then blobs, then the manifest under `reference`; returns the registry's digest. */
export async function pushArtifact(
  registry: RegistryTarget,
  repo: string,
  reference: string,
  pushed: Artifact,
  credentials?: Credentials,
): Promise<string> {
  for (const child of pushed.children) {
    await pushArtifact(registry, repo, child.digest, child, credentials);
  }
  for (const each of pushed.blobs) await pushBlob(registry, repo, each.bytes, credentials);
  return pushManifest(registry, repo, reference, pushed.manifest, pushed.mediaType, credentials);
}
