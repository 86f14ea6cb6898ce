import assert from 'node:assert/strict';
import { createServer, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { discardBody, getFollowingRedirects } from '../../../src/download/http/request.ts';
import {
  type Acceptance,
  type Asked,
  acceptAnswer,
  notTheRangeReason,
} from '../../../src/download/range/accept.ts';
import { urlTarget } from '../../../src/download/target.ts';
import { FetchError, RejectedError, SizeMismatchError } from '../../../src/errors.ts';
import { Redactor } from '../../../src/log/redact.ts';
import { testClient } from '../../helpers/http-client.ts';

/** What the server answers next: a status, headers, and a body of `bodyBytes` zero bytes. */
interface Answer {
  readonly status: number;
  readonly headers?: OutgoingHttpHeaders;
  readonly bodyBytes?: number;
}

const sizeBytes = 1000;
const etag = '"v1"';
const client = testClient();
const redactor = new Redactor();
let server: Server;
let url: URL;
let next: Answer = { status: 200 };

before(async () => {
  server = createServer((_request, response) => {
    const { status, headers = {}, bodyBytes = 0 } = next;
    response.writeHead(status, { 'content-length': bodyBytes, ...headers });
    response.end(Buffer.alloc(bodyBytes));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/app.jar?sig=x`);
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  client.close();
});

/** Asks the loopback server (which answers `answer`) and judges its answer as `asked` says. */
async function judge(answer: Answer, asked: Partial<Asked>): Promise<Acceptance> {
  next = answer;
  const response = await getFollowingRedirects(
    { client, maxRedirects: 0, redactor },
    url,
    {},
    AbortSignal.timeout(5_000),
  );
  try {
    return await acceptAnswer(
      response,
      { range: undefined, validator: undefined, wholeWelcome: true, ...asked },
      urlTarget(url, sizeBytes, redactor),
    );
  } finally {
    discardBody(response.body);
  }
}

const v1 = { etag, lastModified: undefined };
/** The rest of the file from byte 600, resuming on v1, as one connection asks. */
const resume: Partial<Asked> = { range: { firstByte: 600, lastByte: 999 }, validator: v1 };
/** Part 1 (bytes 250-499) of v1, as a part asks: only those bytes will do. */
const part: Partial<Asked> = {
  range: { firstByte: 250, lastByte: 499 },
  validator: v1,
  wholeWelcome: false,
};
/** Part 0 with no version yet, as the first request asks. */
const firstPart: Partial<Asked> = {
  range: { firstByte: 0, lastByte: 249 },
  validator: undefined,
  wholeWelcome: false,
};
const partial = (range: string, headers: OutgoingHttpHeaders = {}): Answer => ({
  status: 206,
  headers: { 'content-range': range, etag, 'accept-ranges': 'bytes', ...headers },
  bodyBytes: 10,
});

describe('acceptAnswer', () => {
  it('takes a 200 as the whole object where it is welcome, with its validator', async () => {
    const decision = await judge({ status: 200, headers: { etag }, bodyBytes: sizeBytes }, {});
    assert.deepEqual(decision, { kind: 'whole', validator: v1 });
  });

  it('a 200 instead of the rest is the whole object too: the caller starts over', async () => {
    const decision = await judge({ status: 200, bodyBytes: sizeBytes }, resume);
    assert.deepEqual(decision, { kind: 'whole', validator: undefined });
  });

  it('refuses a 200 whose Content-Length is not the expected size, before a byte is taken', async () => {
    await assert.rejects(judge({ status: 200, bodyBytes: 999 }, {}), (error: unknown) => {
      assert.ok(error instanceof SizeMismatchError);
      assert.match(error.message, /announces 999 bytes \(Content-Length\)/);
      return true;
    });
  });

  it('a 200 where only the range will do is not the range', async () => {
    const decision = await judge({ status: 200, bodyBytes: sizeBytes }, part);
    assert.equal(decision.kind, 'not-the-range');
    assert.equal(decision.kind === 'not-the-range' && decision.status, 200);
    assert.match(decision.kind === 'not-the-range' ? decision.what : '', /whole object \(200\)/);
  });

  it('takes a 206 for exactly the range asked, of the version asked', async () => {
    assert.deepEqual(await judge(partial('bytes 600-999/1000'), resume), {
      kind: 'range',
      validator: v1,
    });
    assert.deepEqual(await judge(partial('bytes 250-499/1000'), part), {
      kind: 'range',
      validator: v1,
    });
  });

  it('a 206 for another range is not the range', async () => {
    const decision = await judge(partial('bytes 250-999/1000'), part);
    assert.deepEqual(decision, {
      kind: 'not-the-range',
      status: 206,
      what: 'a 206 for bytes 250-999 when 250-499 were asked for',
    });
  });

  it('refuses a 206 whose total is not the expected size', async () => {
    await assert.rejects(judge(partial('bytes 600-999/2000'), resume), SizeMismatchError);
  });

  it('a 206 from a changed object is not the range', async () => {
    const decision = await judge(partial('bytes 600-999/1000', { etag: '"v2"' }), resume);
    assert.deepEqual(decision, {
      kind: 'not-the-range',
      status: 206,
      what: 'a 206 from a changed object (validator differs)',
    });
  });

  it('asked with no version, a 206 must prove one: a strong validator and Accept-Ranges', async () => {
    assert.deepEqual(await judge(partial('bytes 0-249/1000'), firstPart), {
      kind: 'range',
      validator: v1,
    });
    const weak = await judge(partial('bytes 0-249/1000', { etag: 'W/"v1"' }), firstPart);
    assert.equal(weak.kind === 'not-the-range' && weak.what, notProven);
    const noRanges = await judge(
      partial('bytes 0-249/1000', { 'accept-ranges': 'none' }),
      firstPart,
    );
    assert.equal(
      noRanges.kind === 'not-the-range' && noRanges.what,
      'the server does not advertise Accept-Ranges: bytes',
    );
  });

  it('a 416 is not the range, and says so in the words of a restart', async () => {
    const decision = await judge({ status: 416 }, resume);
    assert.deepEqual(decision, {
      kind: 'not-the-range',
      status: 416,
      what: '416 Range Not Satisfiable',
    });
    assert.equal(
      decision.kind === 'not-the-range' && notTheRangeReason(decision),
      'the server answered 416 Range Not Satisfiable',
    );
  });

  it('an encoded body is never the bytes, a 200 or a 206', async () => {
    for (const answer of [
      { status: 200, headers: { 'content-encoding': 'gzip' }, bodyBytes: sizeBytes },
      partial('bytes 600-999/1000', { 'content-encoding': 'gzip' }),
    ]) {
      const decision = await judge(answer, resume);
      assert.equal(decision.kind, 'encoded');
      assert.equal(
        decision.kind === 'encoded' && decision.error.details.contentEncoding,
        'gzip',
        String(answer.status),
      );
    }
  });

  it('an encoding sent in more than one Content-Encoding header is refused as one list', async () => {
    const answer = {
      status: 200,
      // Capitalised: OutgoingHttpHeaders types the lower-case name as one value.
      headers: { 'Content-Encoding': ['gzip', 'gzip'] },
      bodyBytes: sizeBytes,
    };
    const decision = await judge(answer, resume);
    assert.equal(decision.kind, 'encoded');
    assert.equal(
      decision.kind === 'encoded' && decision.error.details.contentEncoding,
      'gzip, gzip',
    );
  });

  it('a 4xx is a rejection, a 5xx a transient failure, neither a decision', async () => {
    await assert.rejects(judge({ status: 404 }, part), RejectedError);
    await assert.rejects(judge({ status: 503 }, part), (error: unknown) => {
      assert.ok(error instanceof FetchError);
      assert.equal(error.transient, true);
      return true;
    });
  });

  it('a range answer to a request without Range, or another 2xx, is an unexpected answer', async () => {
    await assert.rejects(judge(partial('bytes 0-9/1000'), {}), /answered 206 .*expected 200/);
    await assert.rejects(judge({ status: 416 }, {}), RejectedError);
    await assert.rejects(judge({ status: 204 }, part), /answered 204 .*expected 206/);
  });
});

const notProven =
  'no strong validator (ETag or Last-Modified) to prove the parts are of one version';
