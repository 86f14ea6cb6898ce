import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { FetchError, RejectedError } from '../../src/errors.ts';
import { parseOciReference } from '../../src/oci/reference.ts';
import { maxReferrersPages, nextPage, RegistryClient } from '../../src/resolve/registry-client.ts';
import { configFor, downloadKit } from '../helpers/download-kit.ts';
import { type LoopbackServer, serve } from '../helpers/loopback-server.ts';
import { orasArtifact } from '../helpers/registry/oras.ts';

const artifact = orasArtifact(Buffer.from('a JAR'));
const signal = () => AbortSignal.timeout(5_000);

/** A registry on loopback that serves `artifact` as team/app:1.0 and by digest, HEAD as `head` says. */
async function registry(
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

function client(registryHost: string, mirrors: string[] = []) {
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

const hostOf = (server: LoopbackServer) => new URL(server.origin).host;

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

/**
 * A registry whose referrers of any digest come in `pages`, one descriptor each
 * (its number in the annotations), page N at ?page=N; `link` is the Link header
 * of page N (none: the last page), a page that `link` names but `pages` does not
 * is a 404.
 */
async function pagedReferrers(
  pages: number,
  link: (page: number, origin: string) => string | undefined = (page) =>
    page < pages ? `<?page=${page + 1}>; rel="next"` : undefined,
): Promise<LoopbackServer> {
  const server: LoopbackServer = await serve((request, response) => {
    const page = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('page') ?? 1);
    if (page > pages) return void response.writeHead(404).end();
    const header = link(page, server.origin);
    response.writeHead(200, {
      'content-type': 'application/vnd.oci.image.index.v1+json',
      ...(header === undefined ? {} : { link: header }),
    });
    const descriptor = { ...artifact.blobs[0], annotations: { page: String(page) } };
    response.end(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [descriptor],
      }),
    );
  });
  return server;
}

const pagesOf = (index: Awaited<ReturnType<RegistryClient['referrers']>>) =>
  index?.manifests.map((descriptor) => descriptor.annotations.get('page'));

describe('RegistryClient.referrers', () => {
  it('follows rel="next" to the last page, relative or absolute, and lists every page', async () => {
    await using r = await pagedReferrers(3, (page, origin) =>
      page === 1
        ? `<${origin}/v2/team/app/referrers/${artifact.digest}?page=2>; rel="next"`
        : page === 2
          ? '</v2/team/app/referrers/x>; rel="prev", <?page=3>; rel="next"'
          : undefined,
    );
    const { kit, client: c } = client(hostOf(r));
    await using _ = kit;
    const index = await c.referrers(artifact.digest, signal());
    assert.deepEqual(pagesOf(index), ['1', '2', '3']);
    assert.deepEqual(r.paths, [
      `/v2/team/app/referrers/${artifact.digest}`,
      `/v2/team/app/referrers/${artifact.digest}?page=2`,
      `/v2/team/app/referrers/${artifact.digest}?page=3`,
    ]);
    assert.deepEqual(kit.named('referrers-truncated'), []);
  });

  it(`reads ${maxReferrersPages} pages at most, and says so`, async () => {
    await using r = await pagedReferrers(maxReferrersPages + 5);
    const { kit, client: c } = client(hostOf(r));
    await using _ = kit;
    const index = await c.referrers(artifact.digest, signal());
    assert.equal(index?.manifests.length, maxReferrersPages);
    assert.equal(r.paths.length, maxReferrersPages);
    const [truncated] = kit.named('referrers-truncated');
    assert.equal(truncated?.level, 'warn');
    assert.match(String(truncated?.msg), /more than 10 pages; 10 page\(s\) read/);
  });

  it('never follows a next page on another origin: its credentials would go there', async () => {
    await using elsewhere = await pagedReferrers(2);
    await using r = await pagedReferrers(
      2,
      (page) =>
        `<${elsewhere.origin}/v2/team/app/referrers/${artifact.digest}?page=${page + 1}>; rel="next"`,
    );
    const { kit, client: c } = client(hostOf(r));
    await using _ = kit;
    assert.deepEqual(pagesOf(await c.referrers(artifact.digest, signal())), ['1']);
    assert.deepEqual(elsewhere.paths, []);
    const [truncated] = kit.named('referrers-truncated');
    assert.match(String(truncated?.msg), /next page is on another origin \(127\.0\.0\.1:\d+\)/);
  });

  it('a later page that fails is an error, not the end of the list nor a registry without the API', async () => {
    await using r = await pagedReferrers(1, () => '<?page=2>; rel="next"');
    const { kit, client: c } = client(hostOf(r));
    await using _ = kit;
    await assert.rejects(c.referrers(artifact.digest, signal()), RejectedError);
  });
});

describe('RegistryClient.signatureSources', () => {
  it('the mirrors still in use, then the registry; at a mirror a 404 is nothing here and keeps it, a 503 drops it', async () => {
    let status = 404;
    const asked: string[] = [];
    await using mirror = await serve((request: IncomingMessage, response: ServerResponse) => {
      asked.push(`${request.url} ${status}`);
      response.writeHead(status, { 'content-type': 'application/json' }).end('{"errors":[]}');
    });
    await using r = await registry();
    const { kit, client: c } = client(hostOf(r), [hostOf(mirror)]);
    await using _ = kit;
    const sources = c.signatureSources();
    assert.deepEqual(
      sources.map((source) => [source.host, source.mirror]),
      [
        [hostOf(mirror), true],
        [hostOf(r), false],
      ],
    );
    const [atMirror, atRegistry] = sources;
    assert.equal(await atMirror?.referrers(artifact.digest, signal()), undefined);
    assert.equal(await atMirror?.tagged('sha256-aa.sig', signal()), undefined);
    assert.deepEqual(c.liveMirrors, [hostOf(mirror)], 'a 404 keeps the mirror');
    status = 503;
    assert.equal(await atMirror?.tagged('sha256-aa.sig', signal()), undefined);
    assert.deepEqual(c.liveMirrors, [], 'a 503 drops it');
    assert.equal(await atMirror?.tagged('sha256-aa.sig', signal()), undefined, 'not asked again');
    const ns = `ns=${encodeURIComponent(hostOf(r))}`;
    assert.deepEqual(asked, [
      `/v2/team/app/referrers/${artifact.digest}?${ns} 404`,
      `/v2/team/app/manifests/sha256-aa.sig?${ns} 404`,
      `/v2/team/app/manifests/sha256-aa.sig?${ns} 503`,
    ]);
    assert.deepEqual(
      kit.named('mirror-dropped').map((event) => event.status),
      [503],
    );
    assert.equal(
      await atRegistry?.tagged('sha256-aa.sig', signal()),
      undefined,
      "the registry's 404",
    );
    assert.equal((await atRegistry?.tagged('1.0', signal()))?.digest, artifact.digest);
  });
});

describe('nextPage', () => {
  const page = new URL('https://reg.example/v2/team/app/referrers/sha256:aa');
  it('takes the link whose rel lists next, resolved against the page; none without one', () => {
    assert.equal(nextPage('<?n=2&last=b>; rel="next"', page)?.href, `${page.href}?n=2&last=b`);
    assert.equal(
      nextPage(['<https://reg.example/a>; rel=prev', '</b>;rel="first NEXT"'], page)?.href,
      'https://reg.example/b',
    );
    assert.equal(nextPage('<https://reg.example/a>; rel="prev"', page), undefined);
    assert.equal(nextPage('<https://reg.example/a>; title="next"', page), undefined);
    assert.equal(nextPage(undefined, page), undefined);
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
