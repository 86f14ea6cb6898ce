/**
 * Where a registry's API is: `https://REGISTRY/v2/…`, or `http://` for a
 * registry in the plain-HTTP list (parsePlainHttpRegistries). Loopback gets no special
 * case: a local test registry without TLS is listed like any other. Docker
 * Hub's names (docker.io, index.docker.io) are served at registry-1.docker.io,
 * as docker and containerd resolve them.
 */
import { InvalidValueError, problemOf } from '../options/expected.ts';
import type { OciReference } from './reference.ts';
import { parseRegistryHost } from './reference.ts';

/** Every name of Docker Hub's registry; credentials stored under one apply to all. */
export const dockerHubHosts: ReadonlySet<string> = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
]);
const dockerHubApiHost = 'registry-1.docker.io';

/** `host:port[,host:port…]`: the registries spoken to over plain HTTP, normalised as references are. */
export function parsePlainHttpRegistries(raw: string): ReadonlySet<string> {
  const registries = new Set<string>();
  for (const item of raw.split(',').map((part) => part.trim())) {
    if (item === '') continue;
    if (item.includes('://')) {
      throw new InvalidValueError(
        `expected registries as host:port separated by commas, without a scheme, got "${item.slice(0, 80)}"`,
      );
    }
    try {
      registries.add(parseRegistryHost(item));
    } catch (error) {
      throw new InvalidValueError(problemOf(`"${item.slice(0, 80)}"`, error));
    }
  }
  if (registries.size === 0) {
    throw new InvalidValueError('expected one or more registries as host:port separated by commas');
  }
  return registries;
}

/** `https://host[:port]` (or `http://` when plain-HTTP-listed): the origin `/v2/` requests go to. */
export function registryOrigin(registry: string, plainHttp: ReadonlySet<string>): URL {
  const scheme = plainHttp.has(registry) ? 'http' : 'https';
  const host = dockerHubHosts.has(registry) ? dockerHubApiHost : registry;
  return new URL(`${scheme}://${host}`);
}

/** `/v2/<repository>/manifests/<tag or digest>` (distribution spec, "Pulling manifests"). */
export function manifestUrl(origin: URL, reference: OciReference, tagOrDigest: string): URL {
  return new URL(`/v2/${reference.repository}/manifests/${tagOrDigest}`, origin);
}

/** `/v2/<repository>/blobs/<digest>` (distribution spec, "Pulling blobs"). */
export function blobUrl(origin: URL, reference: OciReference, digest: string): URL {
  return new URL(`/v2/${reference.repository}/blobs/${digest}`, origin);
}
