import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  artifactHeaders,
  discardBody,
  getFollowingRedirects,
} from '../../../src/download/http/request.ts';
import { openingOf } from '../../../src/download/parts/opening.ts';
import { configFor, type DownloadKit, downloadKit } from '../../helpers/download-kit.ts';
import { startArtifactServer } from '../../helpers/fault-server.ts';

const signal = () => AbortSignal.timeout(10_000);
const firstPart = { index: 0, firstByte: 0, lastByte: 65_535 };

/** An answer got elsewhere (as a re-run's conditional request gets it), with `range`. */
function answerTo(kit: DownloadKit, range: string) {
  const { context } = kit.session;
  return getFollowingRedirects(
    context,
    context.url,
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
        kind: 'whole',
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
    assert.equal(opening.kind, 'single');
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
      kind: 'single',
      reason: 'the server answered 416 Range Not Satisfiable',
    });
    assert.equal(response.body.destroyed, true);
  });
});
