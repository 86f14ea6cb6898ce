/**
 * Where a registry's API is: `https://REGISTRY/v2/…`, or `http://` for a
 * registry in the plain-HTTP list (oci/registry-hosts.ts). Loopback gets no special
 * case: a local test registry without TLS is listed like any other. Docker
 * Hub's names (docker.io, index.docker.io) are served at registry-1.docker.io,
 * as docker and containerd resolve them.
 */
import type { OciReference } from '../oci/reference.ts';

/** Every name of Docker Hub's registry; credentials stored under one apply to all. */
export const dockerHubHosts: ReadonlySet<string> = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
]);
const dockerHubApiHost = 'registry-1.docker.io';

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

/** `/v2/<repository>/referrers/<digest>` (distribution spec 1.1, "Listing Referrers"). */
export function referrersUrl(origin: URL, reference: OciReference, digest: string): URL {
  return new URL(`/v2/${reference.repository}/referrers/${digest}`, origin);
}
