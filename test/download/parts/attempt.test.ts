import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Agent } from 'undici';
import { TempArtifact } from '../../../src/artifact/temp-artifact.ts';
import type { AttemptContext } from '../../../src/download/attempt-context.ts';
import { attemptPart } from '../../../src/download/parts/attempt.ts';
import type { PartState } from '../../../src/download/parts/part-state.ts';
import { Logger } from '../../../src/log/logger.ts';
import { Redactor } from '../../../src/log/redact.ts';
import { makeTempDir, randomBytesBuffer } from '../../helpers/tmp.ts';

const artifact = randomBytesBuffer(8_000);
const etag = '"v1"';
const validator = { etag, lastModified: undefined };
const dispatcher = new Agent();
const redactor = new Redactor();
let server: Server;
let url: URL;
/** How the server answers a Range request: as asked, the whole object, or 416. */
let onRange: 'honour' | 'whole' | '416' = 'honour';
let requests: IncomingHttpHeaders[] = [];
let events: { event: string; part?: number; offsetBytes?: number }[] = [];

before(async () => {
  server = createServer((request, response) => {
    requests.push(request.headers);
    const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '');
    if (range === null || onRange === 'whole') {
      response.writeHead(200, { etag, 'content-length': artifact.length });
      response.end(artifact);
    } else if (onRange === '416') {
      response.writeHead(416, { 'content-range': `bytes */${artifact.length}` });
      response.end();
    } else {
      const [from, to] = [Number(range[1]), Number(range[2])];
      response.writeHead(206, {
        etag,
        'content-length': to - from + 1,
        'content-range': `bytes ${from}-${to}/${artifact.length}`,
      });
      response.end(artifact.subarray(from, to + 1));
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
  return {
    dispatcher,
    maxRedirects: 0,
    stallTimeoutMs: 5_000,
    redactor,
    url,
    urlValidity: undefined,
    expectedSizeBytes: artifact.length,
    userAgent: 'test',
    logger: new Logger({
      format: 'json',
      redactor,
      interactive: false,
      write: (line) => events.push(JSON.parse(line)),
    }),
    onBytes: () => {},
    onWholeObject: () => {},
  };
}

/** Part 1 of four (bytes 2000-3999), `writtenBytes` of it already in place. */
function partOne(writtenBytes = 0): PartState {
  return { part: { index: 1, firstByte: 2_000, lastByte: 3_999 }, writtenBytes, resumedBytes: 0 };
}

const signal = () => AbortSignal.timeout(5_000);

describe('attemptPart', () => {
  it('writes the bytes asked for in place, resuming after those already written', async () => {
    await using dir = await makeTempDir('part-attempt-');
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    const state = partOne(500);
    try {
      await temp.writeAt([artifact.subarray(2_000, 2_500)], 2_000);
      const result = await attemptPart(context(), temp, state, validator, signal());
      assert.equal(result, undefined);
      assert.equal(requests[0]?.range, 'bytes=2500-3999');
      assert.equal(requests[0]?.['if-range'], etag);
      assert.equal(state.writtenBytes, 2_000);
      assert.equal(state.resumedBytes, 500);
      assert.deepEqual(
        events.map(({ event, part, offsetBytes }) => ({ event, part, offsetBytes })),
        [{ event: 'resume', part: 1, offsetBytes: 2_500 }],
      );
      const written = await readFile(temp.path);
      assert.deepEqual(written.subarray(2_000, 4_000), artifact.subarray(2_000, 4_000));
    } finally {
      await temp.discard();
    }
  });

  it('a 200 is a mismatch, returned and not thrown, and nothing of it is written', async () => {
    await using dir = await makeTempDir('part-attempt-');
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    const state = partOne();
    onRange = 'whole';
    try {
      const result = await attemptPart(context(), temp, state, validator, signal());
      assert.equal(result?.kind, 'mismatch');
      assert.match(
        result?.reason ?? '',
        /answered bytes 2000-3999 \(part 1\) with the whole object \(200\)/,
      );
      assert.equal(state.writtenBytes, 0);
      assert.equal((await readFile(temp.path)).length, 0);
    } finally {
      await temp.discard();
    }
  });

  it('a 416 is a mismatch too', async () => {
    await using dir = await makeTempDir('part-attempt-');
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    onRange = '416';
    try {
      const result = await attemptPart(context(), temp, partOne(), validator, signal());
      assert.match(result?.reason ?? '', /with 416 Range Not Satisfiable$/);
    } finally {
      await temp.discard();
    }
  });
});
