// The artifact `oras push REG/REPO:TAG app.jar:application/java-archive` makes (oras 1.x,
// oras-go v2): an image-spec v1.1 manifest, the default since oras 1.2 (cmd/oras/internal/
// option/spec.go). Where each detail comes from:
// - artifactType: with neither --artifact-type nor --config, oras sets
//   application/vnd.unknown.artifact.v1 (cmd/oras/root/push.go, oras.MediaTypeUnknownArtifact);
// - config: the empty descriptor, data "e30=" included (oras-go pack.go packManifestV1_1 uses
//   ocispec.DescriptorEmptyJSON, whose Data is `{}`);
// - the layer: the file's media type, digest and size, and the annotation
//   org.opencontainers.image.title = the file name (oras-go content/file/file.go Store.Add);
// - manifest annotation org.opencontainers.image.created, RFC 3339 UTC in whole seconds
//   (oras-go pack.go ensureAnnotationCreated);
// - the bytes: Go's json.Marshal of ocispec.Manifest, compact, fields in struct order
//   (schemaVersion, mediaType, artifactType, config, layers, annotations).
// With --image-spec v1.0 (and in oras 1.0) there is no artifactType: the config is `{}` typed
// application/vnd.unknown.config.v1+json, or the --artifact-type, without data
// (oras-go pack.go packManifestV1_0 and pushCustomEmptyConfig).
import { type Artifact, artifact, blob, ociDescriptor } from './artifact.ts';

export const ociManifestType = 'application/vnd.oci.image.manifest.v1+json';
export const emptyJsonType = 'application/vnd.oci.empty.v1+json';
export const unknownArtifactType = 'application/vnd.unknown.artifact.v1';
export const unknownConfigType = 'application/vnd.unknown.config.v1+json';
export const jarType = 'application/java-archive';
export const titleAnnotation = 'org.opencontainers.image.title';
export const createdAnnotation = 'org.opencontainers.image.created';

export interface OrasOptions {
  /** The file name oras was given: the layer's title. Default 'app.jar'. */
  fileName?: string;
  /** The `:type` after the file name. Default application/java-archive. */
  fileMediaType?: string;
  /** --artifact-type. Default application/vnd.unknown.artifact.v1 (v1.1), none (v1.0). */
  artifactType?: string;
  /** --image-spec. Default v1.1, as oras 1.1 and later push. */
  imageSpec?: 'v1.1' | 'v1.0';
  /** Default: now, as oras writes it. */
  created?: Date;
  /** More files, pushed as further layers in order (oras push a b c). */
  moreFiles?: { fileName: string; mediaType: string; bytes: Buffer }[];
}

export function orasArtifact(file: Buffer, options: OrasOptions = {}): Artifact {
  const v1_0 = options.imageSpec === 'v1.0';
  const config = blob(
    v1_0 ? (options.artifactType ?? unknownConfigType) : emptyJsonType,
    Buffer.from('{}'),
  );
  const files = [
    {
      fileName: options.fileName ?? 'app.jar',
      mediaType: options.fileMediaType ?? jarType,
      bytes: file,
    },
    ...(options.moreFiles ?? []),
  ];
  const layers = files.map((each) => ({ ...each, blob: blob(each.mediaType, each.bytes) }));
  const created = (options.created ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const manifest = {
    schemaVersion: 2,
    mediaType: ociManifestType,
    ...(v1_0 ? {} : { artifactType: options.artifactType ?? unknownArtifactType }),
    config: v1_0 ? ociDescriptor(config) : ociDescriptor(config, { data: 'e30=' }),
    layers: layers.map((layer) =>
      ociDescriptor(layer.blob, { annotations: { [titleAnnotation]: layer.fileName } }),
    ),
    annotations: { [createdAnnotation]: created },
  };
  return artifact(ociManifestType, JSON.stringify(manifest), [
    config,
    ...layers.map((layer) => layer.blob),
  ]);
}
