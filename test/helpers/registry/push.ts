// Pushing through the distribution API directly, as oras and docker do under the hood:
// a blob is POST /v2/<repo>/blobs/uploads/ then PUT <Location>&digest=…; a manifest
// is PUT /v2/<repo>/manifests/<reference> with its media type as Content-Type.
// OCI distribution spec, "Pushing blobs" and "Pushing Manifests":
// https://github.com/opencontainers/distribution-spec/blob/main/spec.md#push
import { createHash } from 'node:crypto';
import {
  type Credentials,
  type Exchange,
  originOf,
  type RegistryTarget,
  registryRequest,
} from './client.ts';

export interface PushedBlob {
  digest: string;
  size: number;
}

export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Uploads `bytes` in one PUT after opening an upload session; returns its digest and size. */
export async function pushBlob(
  registry: RegistryTarget,
  repo: string,
  bytes: Buffer,
  credentials?: Credentials,
): Promise<PushedBlob> {
  const digest = sha256Digest(bytes);
  const scope = `repository:${repo}:pull,push`;
  const opened = await registryRequest(registry, `/v2/${repo}/blobs/uploads/`, {
    method: 'POST',
    credentials,
    scope,
  });
  expectStatus(opened, 202, `POST /v2/${repo}/blobs/uploads/`);
  const location = opened.headers.location;
  if (!location) throw new Error(`POST /v2/${repo}/blobs/uploads/ answered without a Location`);
  // Location may be relative or absolute and may carry a query (Distribution puts _state there).
  const upload = new URL(location, originOf(registry).origin);
  const separator = upload.search ? '&' : '?';
  const put = await registryRequest(
    registry,
    `${upload.href}${separator}digest=${encodeURIComponent(digest)}`,
    {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
      credentials,
      scope,
    },
  );
  expectStatus(put, 201, `PUT the upload of ${digest}`);
  return { digest, size: bytes.length };
}

/** PUTs a manifest; returns the digest the registry computed (Docker-Content-Digest). */
export async function pushManifest(
  registry: RegistryTarget,
  repo: string,
  reference: string,
  manifest: Buffer | string,
  mediaType: string,
  credentials?: Credentials,
): Promise<string> {
  const answer = await registryRequest(registry, `/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'content-type': mediaType },
    body: Buffer.from(manifest),
    credentials,
    scope: `repository:${repo}:pull,push`,
  });
  expectStatus(answer, 201, `PUT /v2/${repo}/manifests/${reference}`);
  const digest = answer.headers['docker-content-digest'];
  if (typeof digest !== 'string')
    throw new Error('the manifest PUT answered no Docker-Content-Digest');
  return digest;
}

function expectStatus(answer: Exchange, status: number, what: string): void {
  if (answer.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${answer.status}: ${answer.body}`);
  }
}
