// Manifest and index JSON as registries serve them, for the resolve stage's tests.
import { createHash } from 'node:crypto';

export const mediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  empty: 'application/vnd.oci.empty.v1+json',
  jar: 'application/java-archive',
  ociTar: 'application/vnd.oci.image.layer.v1.tar',
  ociTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociTarZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerTarGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** A digest that looks like a real one, derived from `seed`. */
export function digestOf(seed: string): string {
  return `sha256:${createHash('sha256').update(seed).digest('hex')}`;
}

export interface DescriptorJson {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string; variant?: string };
}

export function descriptor(
  type: string,
  seed: string,
  size: number,
  extra: Partial<DescriptorJson> = {},
): DescriptorJson {
  return { mediaType: type, digest: digestOf(seed), size, ...extra };
}

/** The empty config oras writes (`{}`), with its well-known digest. */
export const emptyConfig = {
  mediaType: mediaType.empty,
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  data: 'e30=',
};

/** What `oras push REG/REPO:TAG app.jar:application/java-archive` writes. */
export function orasManifest(layers: DescriptorJson[]) {
  return {
    schemaVersion: 2,
    mediaType: mediaType.ociManifest,
    artifactType: 'application/vnd.unknown.artifact.v1',
    config: emptyConfig,
    layers,
    annotations: { 'org.opencontainers.image.created': '2026-01-02T03:04:05Z' },
  };
}

/** What docker, buildah or podman push for a `FROM scratch` image, bottom layer first. */
export function imageManifest(layers: DescriptorJson[], docker = false) {
  return {
    schemaVersion: 2,
    mediaType: docker ? mediaType.dockerManifest : mediaType.ociManifest,
    config: descriptor(docker ? mediaType.dockerConfig : mediaType.ociConfig, 'config', 512),
    layers,
  };
}

export function index(manifests: DescriptorJson[], docker = false) {
  return {
    schemaVersion: 2,
    mediaType: docker ? mediaType.dockerList : mediaType.ociIndex,
    manifests,
  };
}

export function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}
