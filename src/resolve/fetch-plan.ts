/**
 * What to fetch once the image manifest is known. The manifest says which of
 * two shapes the artifact has, by its config's media type:
 *
 * (a) A file pushed as an artifact (`oras push REG/REPO:TAG app.jar:application/java-archive`):
 *     the config is anything but an image config (oras writes the empty
 *     descriptor, application/vnd.oci.empty.v1+json; older clients an
 *     unknown type), and each layer is one file, named by its
 *     org.opencontainers.image.title annotation. The layer's media type is
 *     not relied on: oras gives a file without one the tar type. The only
 *     layer is taken, or else the one titled as the target's file name.
 *     Its bytes are the JAR: ARTIFACT_EXPECTED_SIZE, when set, must equal
 *     its size, checked here before anything is fetched.
 * (b) A runnable image (`FROM scratch` + `COPY app.jar /app.jar`, built by
 *     docker, buildah or podman): the config is an image config and every
 *     layer is a tar changeset. The file is searched from the top layer
 *     down: the first layer that has it, or hides it with a whiteout (or a
 *     non-folder at a parent path), decides. So the top layer is fetched
 *     first, and each lower one only while the file is absent from all
 *     above it.
 */

import { ConfigError, SizeMismatchError } from '../errors.ts';
import type { Compression } from '../extract/layer-stream.ts';
import type { Descriptor, ImageManifest } from './manifest.ts';
import { imageConfigTypes, tarLayerTypes } from './media-types.ts';

export interface BlobRequest {
  /** `sha256:<hex>`: the blob's bytes must hash to it. */
  readonly digest: string;
  readonly sizeBytes: number;
  readonly mediaType: string;
}

export type Extraction =
  | { readonly kind: 'raw' }
  | { readonly kind: 'tar'; readonly compression: Compression; readonly path: string };

export interface LayerFetch {
  readonly blob: BlobRequest;
  readonly extract: Extraction;
}

export interface FetchPlan extends LayerFetch {
  /** The image manifest the layers come from. */
  readonly manifestDigest: string;
  /** Shape (b): the layers below `blob`, top down, each searched only if the file is absent above. */
  readonly lowerLayers: readonly LayerFetch[];
}

export interface ArtifactTarget {
  /** The file in the image, relative and cleaned (see parseImageFilePath): `app.jar`. */
  readonly path: string;
  /** How errors name the setting that chose the path. */
  readonly pathSetting: string;
  /** ARTIFACT_EXPECTED_SIZE, when set. */
  readonly expectedSizeBytes: number | undefined;
}

const titleAnnotation = 'org.opencontainers.image.title';
/** oras marks a folder it pushed as a tar+gzip layer to be unpacked. */
const unpackAnnotation = 'io.deis.oras.content.unpack';

/** The plan for an image manifest; `what` names it in errors. */
export function planFetch(
  manifest: ImageManifest,
  target: ArtifactTarget,
  what: string,
): FetchPlan {
  if (manifest.layers.length === 0)
    throw new ConfigError(`${what} has no layers: there is no file in it`);
  return imageConfigTypes.has(manifest.config.mediaType)
    ? imagePlan(manifest.layers, manifest.digest, target, what)
    : artifactPlan(manifest.layers, manifest.digest, target, what);
}

function artifactPlan(
  layers: readonly Descriptor[],
  manifestDigest: string,
  target: ArtifactTarget,
  what: string,
): FetchPlan {
  const fileName = target.path.slice(target.path.lastIndexOf('/') + 1);
  const titled = layers.filter((layer) => layer.annotations.get(titleAnnotation) === fileName);
  const [layer] = layers.length === 1 ? layers : titled;
  if (layer === undefined || titled.length > 1) {
    const titles = layers.map((entry) =>
      JSON.stringify(entry.annotations.get(titleAnnotation) ?? '(untitled)'),
    );
    throw new ConfigError(
      `${what} has ${layers.length} files (${titles.join(', ')}) and ${titled.length === 0 ? 'none' : titled.length} titled "${fileName}"; expected one (set ${target.pathSetting} to the file's name, or push the JAR alone)`,
    );
  }
  if (layer.annotations.get(unpackAnnotation) === 'true') {
    throw new ConfigError(
      `${what} holds a folder pushed as an archive, not a file: push the JAR file itself`,
    );
  }
  if (target.expectedSizeBytes !== undefined && target.expectedSizeBytes !== layer.sizeBytes) {
    throw new SizeMismatchError(
      `${what} lists the JAR as ${layer.sizeBytes} bytes, ARTIFACT_EXPECTED_SIZE is ${target.expectedSizeBytes}; not fetching it`,
      { details: { expectedBytes: target.expectedSizeBytes, listedBytes: layer.sizeBytes } },
    );
  }
  return { manifestDigest, blob: blobOf(layer), extract: { kind: 'raw' }, lowerLayers: [] };
}

function imagePlan(
  layers: readonly Descriptor[],
  manifestDigest: string,
  target: ArtifactTarget,
  what: string,
): FetchPlan {
  const topDown = layers.toReversed().map((layer, fromTop): LayerFetch => {
    const compression = tarLayerTypes.get(layer.mediaType);
    if (compression === undefined) {
      throw new ConfigError(
        `${what}: layer ${layers.length - fromTop} of ${layers.length} is ${JSON.stringify(layer.mediaType)}, not a tar layer the loader can search for /${target.path}`,
      );
    }
    return { blob: blobOf(layer), extract: { kind: 'tar', compression, path: target.path } };
  });
  const [top, ...lowerLayers] = topDown;
  if (top === undefined) throw new ConfigError(`${what} has no layers: there is no file in it`);
  return { manifestDigest, ...top, lowerLayers };
}

function blobOf(layer: Descriptor): BlobRequest {
  return { digest: layer.digest, sizeBytes: layer.sizeBytes, mediaType: layer.mediaType };
}
