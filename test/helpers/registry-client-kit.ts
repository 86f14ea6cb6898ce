// A RegistryClient on loopback for test/resolve/: a registry that serves one artifact by tag
// and by digest, and a client of it with mirrors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseOciReference } from '../../src/oci/reference.ts';
import { RegistryClient } from '../../src/resolve/registry-client.ts';
import { configFor, downloadKit } from './download-kit.ts';
import { type LoopbackServer, serve } from './loopback-server.ts';
import { orasArtifact } from './registry/oras.ts';

export const artifact = orasArtifact(Buffer.from('a JAR'));

/** A registry on loopback that serves `artifact` as team/app:1.0 and by digest, HEAD as `head` says. */
export async function registry(
  head: 'digest' | 'no-digest' | 405 = 'digest',
  manifest: Buffer = artifact.manifest,
): Promise<LoopbackServer & { methods: string[] }> {
  const methods: string[] = [];
  const server = await serve((request: IncomingMessage, response: ServerResponse) => {
    methods.push(`${request.method} ${request.url}`);
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (
      path !== '/v2/team/app/manifests/1.0' &&
      path !== `/v2/team/app/manifests/${artifact.digest}`
    ) {
      response.writeHead(404, { 'content-type': 'application/json' });
      return void response.end(
        JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }),
      );
    }
    if (request.method === 'HEAD' && head === 405) return void response.writeHead(405).end();
    response.writeHead(200, {
      'content-type': artifact.mediaType,
      ...(head === 'digest' ? { 'docker-content-digest': artifact.digest } : {}),
    });
    response.end(request.method === 'HEAD' ? undefined : manifest);
  });
  return Object.assign(server, { methods });
}

export function client(registryHost: string, mirrors: string[] = []) {
  const kit = downloadKit(configFor('http://127.0.0.1:9/unused.jar', 1));
  const reference = parseOciReference(`oci://${registryHost}/team/app:1.0`);
  const settings = {
    plainHttp: new Set([registryHost, ...mirrors]),
    mirrors,
    authFile: undefined,
    imageFile: '/app.jar',
  };
  return { kit, client: new RegistryClient(reference, settings, undefined, kit.session) };
}

export const hostOf = (server: LoopbackServer) => new URL(server.origin).host;
