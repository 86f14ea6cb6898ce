// A multi-platform image: an OCI image index or a Docker manifest list whose entries
// point to pushed manifests, as `docker buildx build --platform linux/amd64,linux/arm64`
// or `podman manifest push` make them.
// - OCI (image-spec image-index.md): compact JSON; an entry's platform is optional. BuildKit
//   adds entries with platform unknown/unknown for attestations; an entry may also have none.
// - Docker (manifest list v2): indented with three spaces, descriptors ordered mediaType,
//   size, digest, and every entry has a platform (distribution manifest/manifestlist: the
//   field is not omitempty, FromDescriptors marshals with MarshalIndent "   ").
import {
  type Artifact,
  artifact,
  dockerDescriptor,
  ociDescriptor,
  type Platform,
} from './artifact.ts';

export const ociIndexType = 'application/vnd.oci.image.index.v1+json';
export const dockerListType = 'application/vnd.docker.distribution.manifest.list.v2+json';

export interface IndexEntry {
  manifest: Artifact;
  /** Absent: an entry without platform (OCI only; a Docker list writes it empty). */
  platform?: Platform;
  /** OCI only, e.g. { 'vnd.docker.reference.type': 'attestation-manifest' }. */
  annotations?: Record<string, string>;
}

export function imageIndex(entries: IndexEntry[], format: 'oci' | 'docker' = 'oci'): Artifact {
  const children = entries.map((entry) => entry.manifest);
  if (format === 'oci') {
    const manifests = entries.map(({ manifest, platform, annotations }) =>
      ociDescriptor(manifest, {
        ...(annotations ? { annotations } : {}),
        ...(platform ? { platform } : {}),
      }),
    );
    return artifact(
      ociIndexType,
      JSON.stringify({ schemaVersion: 2, mediaType: ociIndexType, manifests }),
      [],
      children,
    );
  }
  const manifests = entries.map(({ manifest, platform }) =>
    dockerDescriptor(manifest, { platform: platform ?? { architecture: '', os: '' } }),
  );
  return artifact(
    dockerListType,
    JSON.stringify({ schemaVersion: 2, mediaType: dockerListType, manifests }, null, 3),
    [],
    children,
  );
}

/** linux/amd64 and linux/arm64/v8, the usual pair. */
export const amd64: Platform = { architecture: 'amd64', os: 'linux' };
export const arm64: Platform = { architecture: 'arm64', os: 'linux', variant: 'v8' };
