import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  artifactHeaders,
  discardBody,
  getFollowingRedirects,
} from '../../../src/download/http/request.ts';
import {
  firstPartRange,
  openFirstPart,
  openingOf,
} from '../../../src/download/parts/first-part.ts';
import { FetchError, RejectedError, SizeMismatchError } from '../../../src/errors.ts';
import { configFor, type DownloadKit, downloadKit } from '../../helpers/download-kit.ts';
import { startArtifactServer } from '../../helpers/fault-server.ts';

const signal = () => AbortSignal.timeout(10_000);
const firstPart = { index: 0, firstByte: 0, lastByte: 65_535 };

describe('openFirstPart', () => {
  it('asks for part 0 alone, and a 206 for it with Accept-Ranges and a strong ETag opens the parts', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    const opening = await openFirstPart(kit.session.context, firstPart, signal());
    try {
      assert.equal(opening.kind, 'parts');
      assert.equal(opening.response.status, 206);
      assert.deepEqual(opening.validator, { etag: server.etag, lastModified: undefined });
      assert.equal(server.requests.length, 1);
      assert.equal(server.requests[0]?.headers.range, 'bytes=0-65535');
      assert.equal(server.requests[0]?.headers['if-range'], undefined);
      assert.equal(server.requests[0]?.headers['accept-encoding'], 'identity');
    } finally {
      if (opening.kind !== 'from-zero') discardBody(opening.response.body);
    }
  });

  it('without an ETag, a strong Last-Modified is the version the parts are checked against', async () => {
    await using server = await startArtifactServer();
    server.setArtifact(server.artifact, {
      etag: null,
      lastModified: 'Wed, 01 Jan 2025 00:00:00 GMT',
    });
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    const opening = await openFirstPart(kit.session.context, firstPart, signal());
    try {
      assert.equal(opening.kind, 'parts');
      assert.deepEqual(opening.validator, {
        etag: undefined,
        lastModified: 'Wed, 01 Jan 2025 00:00:00 GMT',
      });
    } finally {
      if (opening.kind !== 'from-zero') discardBody(opening.response.body);
    }
  });

  it('a 200 is the one-connection download already under way, its body not read', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    server.schedule({ kind: 'ignore-range' });
    const opening = await openFirstPart(kit.session.context, firstPart, signal());
    try {
      assert.equal(opening.kind, 'answered-whole');
      assert.equal(opening.reason, 'the server answered a Range request with 200');
      assert.equal(opening.response.status, 200);
      assert.equal(opening.response.body.destroyed, false);
    } finally {
      if (opening.kind !== 'from-zero') discardBody(opening.response.body);
    }
  });

  it('a 206 with only a weak ETag proves no version: one connection, from zero', async () => {
    await using server = await startArtifactServer();
    server.setArtifact(server.artifact, { etag: 'W/"weak"', lastModified: null });
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    const opening = await openFirstPart(kit.session.context, firstPart, signal());
    assert.deepEqual(opening, {
      kind: 'from-zero',
      reason: 'no strong validator (ETag or Last-Modified) to prove the parts are of one version',
    });
  });

  it('a 206 without Accept-Ranges: bytes proves no version either', async () => {
    await using server = await startArtifactServer();
    server.route('/plain.jar', (_request, response) => {
      response.writeHead(206, {
        etag: '"v1"',
        'content-range': `bytes 0-65535/${server.artifact.length}`,
        'content-length': 65_536,
      });
      response.end(server.artifact.subarray(0, 65_536));
    });
    await using kit = downloadKit(configFor(server.url('/plain.jar'), server.artifact.length));
    const opening = await openFirstPart(kit.session.context, firstPart, signal());
    assert.deepEqual(opening, {
      kind: 'from-zero',
      reason: 'the server does not advertise Accept-Ranges: bytes',
    });
  });

  it('a 206 for other bytes than part 0 means one connection', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    server.schedule({ kind: 'wrong-content-range' });
    const opening = await openFirstPart(kit.session.context, firstPart, signal());
    assert.equal(opening.kind, 'from-zero');
    assert.match(opening.reason, /16-65551/);
  });

  it('a 416 means one connection, in the words of a restart', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    server.schedule({
      kind: 'status',
      status: 416,
      headers: { 'content-range': `bytes */${server.artifact.length}` },
    });
    const opening = await openFirstPart(kit.session.context, firstPart, signal());
    assert.deepEqual(opening, {
      kind: 'from-zero',
      reason: 'the server answered 416 Range Not Satisfiable',
    });
  });

  it('a 206 whose total is not the expected size is a size mismatch', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length + 1));
    await assert.rejects(
      openFirstPart(kit.session.context, firstPart, signal()),
      (error: unknown) => error instanceof SizeMismatchError && error.code === 'ERR_SIZE_MISMATCH',
    );
  });

  it('an encoded 206 is refused: never the artifact’s bytes', async () => {
    await using server = await startArtifactServer();
    server.route('/gzip.jar', (_request, response) => {
      response.writeHead(206, {
        etag: '"v1"',
        'accept-ranges': 'bytes',
        'content-encoding': 'gzip',
        'content-range': `bytes 0-65535/${server.artifact.length}`,
        'content-length': 65_536,
      });
      response.end(server.artifact.subarray(0, 65_536));
    });
    await using kit = downloadKit(configFor(server.url('/gzip.jar'), server.artifact.length));
    await assert.rejects(
      openFirstPart(kit.session.context, firstPart, signal()),
      (error: unknown) => error instanceof FetchError && /gzip/.test(error.message),
    );
  });

  it('error statuses throw as for any attempt: 404 for good, 503 transient', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    server.schedule({ kind: 'status', status: 404 }, { kind: 'status', status: 503 });
    await assert.rejects(
      openFirstPart(kit.session.context, firstPart, signal()),
      (error: unknown) => error instanceof RejectedError && error.transient === false,
    );
    await assert.rejects(
      openFirstPart(kit.session.context, firstPart, signal()),
      (error: unknown) =>
        error instanceof FetchError && error.transient && error.details.status === 503,
    );
  });
});

describe('firstPartRange', () => {
  it('is the Range of part 0 alone', () => {
    assert.deepEqual(firstPartRange({ index: 0, firstByte: 0, lastByte: 99 }), {
      range: 'bytes=0-99',
    });
  });
});

/** An answer got elsewhere (as a re-run's conditional request gets it), with `range`. */
function answerTo(kit: DownloadKit, range: string) {
  const { context } = kit.session;
  return getFollowingRedirects(
    context,
    context.source.url,
    { ...artifactHeaders('test'), range },
    signal(),
  );
}

describe('openingOf', () => {
  it('a 206 for part 0 opens the parts and keeps its body open, to be streamed as part 0', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    const response = await answerTo(kit, 'bytes=0-65535');
    const opening = await openingOf(kit.session.context, response, firstPart);
    try {
      assert.equal(opening.kind, 'parts');
      assert.equal(response.body.destroyed, false);
    } finally {
      discardBody(response.body);
    }
  });

  it('a 200 is not judged here, even with another length: the one-connection attempt judges it', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length + 5));
    server.schedule({ kind: 'ignore-range' });
    const response = await answerTo(kit, 'bytes=0-65535');
    const opening = await openingOf(kit.session.context, response, firstPart);
    try {
      assert.deepEqual(opening, {
        kind: 'answered-whole',
        response,
        reason: 'the server answered a Range request with 200',
      });
      assert.equal(response.body.destroyed, false);
    } finally {
      discardBody(response.body);
    }
  });

  it('an answer for other bytes than part 0 means one connection, and its body is dropped', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    const response = await answerTo(kit, 'bytes=10-65545');
    const opening = await openingOf(kit.session.context, response, firstPart);
    assert.equal(opening.kind, 'from-zero');
    assert.match(opening.reason, /10-65545/);
    assert.equal(response.body.destroyed, true);
  });

  it('a 416 handed over means one connection, and its body is dropped', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    const response = await answerTo(kit, `bytes=${server.artifact.length}-`);
    assert.equal(response.status, 416);
    const opening = await openingOf(kit.session.context, response, firstPart);
    assert.deepEqual(opening, {
      kind: 'from-zero',
      reason: 'the server answered 416 Range Not Satisfiable',
    });
    // Complete on the wire, so read out to nowhere: its connection serves the next request.
    assert.ok(response.body.destroyed || response.body.readableFlowing, 'the body is left unread');
  });
});
