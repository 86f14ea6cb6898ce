import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { RejectedError } from '../../src/errors.ts';
import type { ImageIndex } from '../../src/resolve/manifest.ts';
import { maxReferrersPages, nextPage, signatureSources } from '../../src/resolve/referrers.ts';
import type { RegistryClient } from '../../src/resolve/registry-client.ts';
import { type LoopbackServer, serve } from '../helpers/loopback-server.ts';
import { artifact, client, hostOf, registry } from '../helpers/registry-client-kit.ts';

const signal = () => AbortSignal.timeout(5_000);

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

/** The referrers of `digest` at the registry, as the signature search asks it (signatureSources). */
function referrers(c: RegistryClient, digest: string, signal: AbortSignal) {
  const atRegistry = signatureSources(c).at(-1);
  assert.ok(atRegistry !== undefined && !atRegistry.mirror);
  return atRegistry.referrers(digest, signal);
}

const pagesOf = (index: ImageIndex | undefined) =>
  index?.manifests.map((descriptor) => descriptor.annotations.get('page'));

describe('referrers', () => {
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
    const index = await referrers(c, artifact.digest, signal());
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
    const index = await referrers(c, artifact.digest, signal());
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
    assert.deepEqual(pagesOf(await referrers(c, artifact.digest, signal())), ['1']);
    assert.deepEqual(elsewhere.paths, []);
    const [truncated] = kit.named('referrers-truncated');
    assert.match(String(truncated?.msg), /next page is on another origin \(127\.0\.0\.1:\d+\)/);
  });

  it('a later page that fails is an error, not the end of the list nor a registry without the API', async () => {
    await using r = await pagedReferrers(1, () => '<?page=2>; rel="next"');
    const { kit, client: c } = client(hostOf(r));
    await using _ = kit;
    await assert.rejects(referrers(c, artifact.digest, signal()), RejectedError);
  });
});

describe('signatureSources', () => {
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
    const sources = signatureSources(c);
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
