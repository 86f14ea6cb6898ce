// The image that `FROM scratch` + `COPY app.jar /app.jar` builds with docker, buildah or
// podman: one layer (a tar, or a gzipped tar) holding app.jar, a config naming the
// platform and the layer's diff_id, and a manifest in OCI or Docker schema 2 form.
// Where each detail comes from:
// - entry name 'app.jar', no './' and no directory entry for '/': pkg/archive (moby, and
//   containers/storage that buildah uses) names entries by their path relative to the
//   layer root (canonicalTarName); uid/gid 0, mode as copied (0644 here), owner names
//   empty in moby (FileInfoHeaderNoLookups), looked up ('root') in older containers/storage,
//   whose mode also carries the file-type bits (fillGo18FileTypeBits: 0100644);
// - header format: Go's archive/tar with Format PAX, which stays ustar when the entry fits;
// - diff_id: sha256 of the UNCOMPRESSED tar (image-spec config.md, rootfs.diff_ids);
// - config: image-spec config.md fields (created, architecture, variant, os, config, rootfs,
//   history), the same JSON under Docker's application/vnd.docker.container.image.v1+json;
// - Docker schema 2 manifests are indented with three spaces and descriptors ordered
//   mediaType, size, digest (distribution manifest/schema2 FromStruct: MarshalIndent "   ");
//   OCI manifests are compact (containers/image, BuildKit);
// - layer types: application/vnd.oci.image.layer.v1.tar[+gzip] (image-spec layer.md),
//   application/vnd.docker.image.rootfs.diff.tar.gzip (Docker image manifest v2 schema 2) and
//   the uncompressed ...rootfs.diff.tar that containers/image pushes with --compression none.
import { gzipSync } from 'node:zlib';
import {
  type Artifact,
  artifact,
  type Blob,
  blob,
  dockerDescriptor,
  ociDescriptor,
  type Platform,
} from './artifact.ts';
import { ociManifestType } from './oras.ts';
import { type TarEntry, writeTar } from './tar.ts';

export const dockerManifestType = 'application/vnd.docker.distribution.manifest.v2+json';
export const ociConfigType = 'application/vnd.oci.image.config.v1+json';
export const dockerConfigType = 'application/vnd.docker.container.image.v1+json';

const layerTypes = {
  oci: {
    gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
    none: 'application/vnd.oci.image.layer.v1.tar',
  },
  docker: {
    gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
    none: 'application/vnd.docker.image.rootfs.diff.tar',
  },
} as const;

export interface ImageOptions {
  format?: 'oci' | 'docker';
  /** Default gzip, as docker and podman push. */
  compression?: 'gzip' | 'none';
  /** Default linux/amd64. */
  platform?: Platform;
  /** The layer's entries; default one entry 'app.jar' holding the jar. */
  entries?: TarEntry[];
  /** Default 2024-01-02T03:04:05Z. */
  created?: Date;
}

export interface Image extends Artifact {
  /** The uncompressed layer tar and its sha256 (the diff_id). */
  tar: Buffer;
  diffId: string;
  config: Blob;
  layer: Blob;
}

export function imageArtifact(jar: Buffer, options: ImageOptions = {}): Image {
  const format = options.format ?? 'oci';
  const platform = options.platform ?? { architecture: 'amd64', os: 'linux' };
  const created = (options.created ?? new Date('2024-01-02T03:04:05Z')).toISOString();
  const tar = writeTar(options.entries ?? [{ name: 'app.jar', data: jar }]);
  const compressed = (options.compression ?? 'gzip') === 'gzip';
  const layer = blob(
    layerTypes[format][compressed ? 'gzip' : 'none'],
    compressed ? gzipSync(tar) : tar,
  );
  const diffId = blob('', tar).digest;
  const configJson = {
    created,
    architecture: platform.architecture,
    ...(platform.variant ? { variant: platform.variant } : {}),
    os: platform.os,
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [
      {
        created,
        created_by: 'COPY app.jar /app.jar # buildkit',
        comment: 'buildkit.dockerfile.v0',
      },
    ],
  };
  const config = blob(
    format === 'oci' ? ociConfigType : dockerConfigType,
    Buffer.from(JSON.stringify(configJson)),
  );
  const manifest =
    format === 'oci'
      ? JSON.stringify({
          schemaVersion: 2,
          mediaType: ociManifestType,
          config: ociDescriptor(config),
          layers: [ociDescriptor(layer)],
        })
      : JSON.stringify(
          {
            schemaVersion: 2,
            mediaType: dockerManifestType,
            config: dockerDescriptor(config),
            layers: [dockerDescriptor(layer)],
          },
          null,
          3,
        );
  const made = artifact(format === 'oci' ? ociManifestType : dockerManifestType, manifest, [
    config,
    layer,
  ]);
  return { ...made, tar, diffId, config, layer };
}
