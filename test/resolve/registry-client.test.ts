import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FetchError } from '../../src/errors.ts';
import { artifact, client, hostOf, registry } from '../helpers/registry-client-kit.ts';

const signal = () => AbortSignal.timeout(5_000);

describe('RegistryClient.tagDigest', () => {
  it("asks HEAD with every manifest type, and takes the registry's Docker-Content-Digest", async () => {
    await using r = await registry('digest');
    const { kit, client: c } = client(hostOf(r));
    await using _ = kit;
    const answer = await c.tagDigest('1.0', signal());
    assert.equal(answer.digest, artifact.digest);
    assert.equal(answer.fetched, undefined);
    assert.deepEqual(r.methods, ['HEAD /v2/team/app/manifests/1.0']);
    assert.match(String(r.headers[0]?.accept), /vnd\.oci\.image\.index\.v1\+json/);
  });

  it('a registry that refuses HEAD (405), or answers it without a digest, is asked with GET', async () => {
    for (const head of [405, 'no-digest'] as const) {
      await using r = await registry(head);
      const { kit, client: c } = client(hostOf(r));
      await using _ = kit;
      const answer = await c.tagDigest('1.0', signal());
      assert.equal(answer.digest, artifact.digest, 'the digest of the document');
      assert.equal(answer.fetched?.document.kind, 'image');
      assert.deepEqual(r.methods, [
        'HEAD /v2/team/app/manifests/1.0',
        'GET /v2/team/app/manifests/1.0',
      ]);
    }
  });
});

describe('RegistryClient.manifest', () => {
  it('by digest: the mirror first, with ?ns=<registry>; by tag: the registry alone', async () => {
    await using r = await registry();
    await using m = await registry();
    const { kit, client: c } = client(hostOf(r), [hostOf(m)]);
    await using _ = kit;
    const byDigest = await c.manifest(artifact.digest, undefined, signal());
    assert.equal(byDigest.source, hostOf(m));
    assert.deepEqual(m.methods, [
      `GET /v2/team/app/manifests/${artifact.digest}?ns=${encodeURIComponent(hostOf(r))}`,
    ]);
    const byTag = await c.manifest('1.0', undefined, signal());
    assert.equal(byTag.source, hostOf(r));
    assert.deepEqual(r.methods, ['GET /v2/team/app/manifests/1.0']);
    assert.equal(m.methods.length, 1, 'a tag never goes to a mirror');
  });

  it('a mirror whose manifest does not hash to the digest is dropped, and the registry answers', async () => {
    await using r = await registry();
    await using m = await registry('digest', Buffer.from(`${artifact.manifest.toString()} `));
    const { kit, client: c } = client(hostOf(r), [hostOf(m)]);
    await using _ = kit;
    const fetched = await c.manifest(artifact.digest, undefined, signal());
    assert.equal(fetched.source, hostOf(r));
    const [dropped] = kit.named('mirror-dropped');
    assert.equal(dropped?.level, 'warn');
    assert.equal(dropped?.mirror, hostOf(m));
    assert.equal(dropped?.errorCode, 'ERR_INTEGRITY');
    assert.equal(dropped?.next, hostOf(r));
    assert.deepEqual(c.liveMirrors, []);
    await c.manifest(artifact.digest, undefined, signal());
    assert.equal(m.methods.length, 1, 'never asked again in the run');
  });
});

describe('RegistryClient.blobTarget', () => {
  it('the live mirrors in order with ?ns=, the registry last, held to the descriptor size', async () => {
    const { kit, client: c } = client('reg.example:5000', [
      'm1.example',
      'reg.example:5000',
      'm2.example:5001',
    ]);
    await using _ = kit;
    const layer = artifact.blobs[1];
    assert.ok(layer);
    const target = c.blobTarget({
      digest: layer.digest,
      sizeBytes: layer.size,
      mediaType: layer.mediaType,
    });
    assert.equal(target.expectedSizeBytes, layer.size);
    assert.equal(target.sizeName, "the layer's size in its manifest");
    const order: string[] = [];
    const { sources } = target;
    for (;;) {
      const source = sources.current;
      order.push(`${source.mirror ?? 'registry'} ${source.url.href}`);
      if (!sources.drop(source, new FetchError('down'))) break;
    }
    const path = `/v2/team/app/blobs/${layer.digest}`;
    assert.deepEqual(order, [
      `m1.example http://m1.example${path}?ns=reg.example%3A5000`,
      `m2.example:5001 http://m2.example:5001${path}?ns=reg.example%3A5000`,
      `registry http://reg.example:5000${path}`,
    ]);
  });
});
