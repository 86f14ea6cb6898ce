// Tests for the push helpers against a scripted registry: every Location form a registry may
// answer an upload with, and the manifest digest taken from the registry, not computed here.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type LoopbackServer, serve } from '../loopback-server.ts';
import { pushBlob, pushManifest, sha256Digest } from './push.ts';

const bytes = Buffer.from('layer bytes');
const digestQuery = `digest=${encodeURIComponent(sha256Digest(bytes))}`;

/** A registry that opens uploads with `location(origin)` and takes any PUT. */
async function scriptedRegistry(location: (other: LoopbackServer) => string) {
  const other = await serve((_request, response) => response.writeHead(201).end());
  const registry = await serve((request, response) => {
    if (request.method === 'POST') {
      response.writeHead(202, { location: location(other) }).end();
      return;
    }
    request.resume();
    response.writeHead(201, { 'docker-content-digest': 'sha256:from-the-registry' }).end();
  });
  return {
    registry,
    other,
    [Symbol.asyncDispose]: async () => {
      await registry[Symbol.asyncDispose]();
      await other[Symbol.asyncDispose]();
    },
  };
}

describe('pushBlob', () => {
  const cases = [
    {
      location: () => '/v2/team/app/blobs/uploads/u1',
      put: `/v2/team/app/blobs/uploads/u1?${digestQuery}`,
    },
    {
      location: () => '/v2/team/app/blobs/uploads/u1?_state=a%2Bb%3D',
      put: `/v2/team/app/blobs/uploads/u1?_state=a%2Bb%3D&${digestQuery}`,
    },
  ];
  for (const { location, put } of cases) {
    test(`a relative Location (${location()}) is resolved against the registry; digest is appended`, async () => {
      await using scripted = await scriptedRegistry(location);
      assert.deepEqual(await pushBlob(scripted.registry.origin, 'team/app', bytes), {
        digest: sha256Digest(bytes),
        size: bytes.length,
      });
      assert.deepEqual(scripted.registry.paths, ['/v2/team/app/blobs/uploads/', put]);
      assert.equal(scripted.registry.headers[1]?.['content-type'], 'application/octet-stream');
      assert.equal(scripted.registry.headers[1]?.['content-length'], String(bytes.length));
    });
  }

  test('an absolute Location, query and all, is used as given, even on another server', async () => {
    await using scripted = await scriptedRegistry((other) => `${other.origin}/uploads/u2?_state=x`);
    await pushBlob(scripted.registry.origin, 'team/app', bytes);
    assert.deepEqual(scripted.registry.paths, ['/v2/team/app/blobs/uploads/']);
    assert.deepEqual(scripted.other.paths, [`/uploads/u2?_state=x&${digestQuery}`]);
  });

  test('an upload that is not opened with 202 and a Location is an error that says so', async () => {
    await using refusing = await serve((_request, response) => response.writeHead(404).end('no'));
    await assert.rejects(pushBlob(refusing.origin, 'team/app', bytes), /expected 202, got 404/);
  });
});

test('pushManifest sends the media type and returns the digest the registry answered', async () => {
  await using scripted = await scriptedRegistry(() => '/unused');
  const digest = await pushManifest(
    scripted.registry.origin,
    'team/app',
    'v1',
    '{}',
    'application/x-test',
  );
  assert.equal(digest, 'sha256:from-the-registry');
  assert.deepEqual(scripted.registry.paths, ['/v2/team/app/manifests/v1']);
  assert.equal(scripted.registry.headers[0]?.['content-type'], 'application/x-test');
});
