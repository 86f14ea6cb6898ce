/**
 * The media types the loader reads (OCI image spec media-types.md, and
 * Docker's image manifest v2 schema 2), and the `Accept` header that asks a
 * registry for them. Docker schema 1 is deliberately not accepted: a
 * registry then converts, or answers 404 and the refusal says why.
 */
import type { Compression } from '../extract/layer-stream.ts';

export const ociManifest = 'application/vnd.oci.image.manifest.v1+json';
export const ociIndex = 'application/vnd.oci.image.index.v1+json';
export const dockerManifest = 'application/vnd.docker.distribution.manifest.v2+json';
export const dockerManifestList = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const dockerSchema1 = new Set([
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
]);

/** Manifests with a config and layers. */
export const imageManifestTypes: ReadonlySet<string> = new Set([ociManifest, dockerManifest]);
/** Lists of manifests, one per platform. */
export const indexTypes: ReadonlySet<string> = new Set([ociIndex, dockerManifestList]);

/** Every manifest type the loader reads, most specific first, for `GET /v2/…/manifests/…`. */
export const manifestAccept = [ociManifest, dockerManifest, ociIndex, dockerManifestList].join(
  ', ',
);

/** The config of a runnable image: its layers are file system changesets. */
export const imageConfigTypes: ReadonlySet<string> = new Set([
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
]);

/** Layer types that are tar file system changesets, and how each is compressed. */
export const tarLayerTypes: ReadonlyMap<string, Compression> = new Map([
  ['application/vnd.oci.image.layer.v1.tar', 'none'],
  ['application/vnd.oci.image.layer.v1.tar+gzip', 'gzip'],
  ['application/vnd.oci.image.layer.v1.tar+zstd', 'zstd'],
  ['application/vnd.oci.image.layer.nondistributable.v1.tar', 'none'],
  ['application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'gzip'],
  ['application/vnd.oci.image.layer.nondistributable.v1.tar+zstd', 'zstd'],
  ['application/vnd.docker.image.rootfs.diff.tar', 'none'],
  ['application/vnd.docker.image.rootfs.diff.tar.gzip', 'gzip'],
  ['application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 'gzip'],
]);

/** The media type itself, without parameters or case: `Application/JSON; charset=utf-8` → `application/json`. */
export function bareMediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}
