import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Agent } from 'undici';
import { TempArtifact } from '../../../src/artifact/temp-artifact.ts';
import type { AttemptContext } from '../../../src/download/attempt-context.ts';
import { attemptWhole } from '../../../src/download/whole/attempt.ts';
import type { ResumeState } from '../../../src/download/whole/resume-state.ts';
import { FetchError } from '../../../src/errors.ts';
import { Logger } from '../../../src/log/logger.ts';
import { Redactor } from '../../../src/log/redact.ts';
import { makeTempDir, randomBytesBuffer, sha256Hex } from '../../helpers/tmp.ts';

const artifact = randomBytesBuffer(10_000);
const etag = '"v1"';
const dispatcher = new Agent();
const redactor = new Redactor();
let server: Server;
let url: URL;
/** How the server answers a Range request: as asked, the whole object, or 416. */
let onRange: 'honour' | 'whole' | '416' = 'honour';
let requests: IncomingHttpHeaders[] = [];
let events: { event: string; reason?: string }[] = [];

before(async () => {
  server = createServer((request, response) => {
    requests.push(request.headers);
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    if (range === null || onRange === 'whole') {
      response.writeHead(200, { etag, 'content-length': artifact.length });
      response.end(artifact);
    } else if (onRange === '416') {
      response.writeHead(416, { 'content-range': `bytes */${artifact.length}` });
      response.end();
    } else {
      const from = Number(range[1]);
      response.writeHead(206, {
        etag,
        'content-length': artifact.length - from,
        'content-range': `bytes ${from}-${artifact.length - 1}/${artifact.length}`,
      });
      response.end(artifact.subarray(from));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/app.jar`);
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await dispatcher.close();
});

beforeEach(() => {
  onRange = 'honour';
  requests = [];
  events = [];
});

function context(): AttemptContext {
  const logger = new Logger({
    format: 'json',
    redactor,
    interactive: false,
    write: (line) => events.push(JSON.parse(line)),
  });
  return {
    dispatcher,
    maxRedirects: 0,
    stallTimeoutMs: 5_000,
    redactor,
    url,
    urlValidity: undefined,
    expectedSizeBytes: artifact.length,
    userAgent: 'test',
    logger,
    onBytes: () => {},
    onWholeObject: () => {},
  };
}

/** A temp file holding the first `keptBytes` of the artifact, as a failed attempt left it. */
async function keeping(dir: string, keptBytes: number): Promise<TempArtifact> {
  const temp = await TempArtifact.create(join(dir, 'app.jar'));
  if (keptBytes > 0) await temp.append([artifact.subarray(0, keptBytes)]);
  return temp;
}

const signal = () => AbortSignal.timeout(5_000);

describe('attemptWhole', () => {
  it('resumes kept bytes with Range and If-Range when the 206 is the rest of the same version', async () => {
    await using dir = await makeTempDir('whole-attempt-');
    const temp = await keeping(dir.path, 4_000);
    const state: ResumeState = { validator: { etag, lastModified: undefined }, resumedBytes: 0 };
    try {
      await attemptWhole(context(), temp, state, signal());
      assert.equal(requests[0]?.range, 'bytes=4000-');
      assert.equal(requests[0]?.['if-range'], etag);
      assert.equal(state.resumedBytes, 4_000);
      assert.deepEqual(
        events.map((event) => event.event),
        ['resume'],
      );
      assert.equal(temp.digestHex(), sha256Hex(artifact));
    } finally {
      await temp.discard();
    }
  });

  it('starts over when the server sends the whole object instead of the rest', async () => {
    await using dir = await makeTempDir('whole-attempt-');
    const temp = await keeping(dir.path, 4_000);
    const state: ResumeState = { validator: { etag, lastModified: undefined }, resumedBytes: 0 };
    onRange = 'whole';
    try {
      await attemptWhole(context(), temp, state, signal());
      assert.deepEqual(events, [
        {
          ...events[0],
          event: 'restart',
          reason: 'the server sent the whole object (200) instead of the rest',
        },
      ]);
      assert.equal(state.resumedBytes, 0);
      assert.equal(temp.bytesWritten, artifact.length);
      assert.equal(temp.digestHex(), sha256Hex(artifact));
    } finally {
      await temp.discard();
    }
  });

  it('a 416 discards the kept bytes and fails transiently: the next attempt starts from zero', async () => {
    await using dir = await makeTempDir('whole-attempt-');
    const temp = await keeping(dir.path, 4_000);
    const state: ResumeState = { validator: { etag, lastModified: undefined }, resumedBytes: 0 };
    onRange = '416';
    try {
      await assert.rejects(attemptWhole(context(), temp, state, signal()), (error: unknown) => {
        assert.ok(error instanceof FetchError);
        assert.equal(error.transient, true);
        assert.match(error.message, /^resume refused: .* answered 416$/);
        return true;
      });
      assert.equal(events[0]?.reason, 'the server answered 416 Range Not Satisfiable');
      assert.equal(temp.bytesWritten, 0);
      assert.equal(state.validator, undefined);
    } finally {
      await temp.discard();
    }
  });

  it('kept bytes without a strong validator are not trusted: no Range is sent', async () => {
    await using dir = await makeTempDir('whole-attempt-');
    const temp = await keeping(dir.path, 4_000);
    const state: ResumeState = { validator: undefined, resumedBytes: 0 };
    try {
      await attemptWhole(context(), temp, state, signal());
      assert.equal(requests[0]?.range, undefined);
      assert.match(events[0]?.reason ?? '', /no strong validator/);
      assert.equal(temp.digestHex(), sha256Hex(artifact));
      assert.deepEqual(state.validator, { etag, lastModified: undefined });
    } finally {
      await temp.discard();
    }
  });
});
