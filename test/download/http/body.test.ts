import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TempArtifact } from '../../../src/artifact/temp-artifact.ts';
import { type BodyTarget, streamBody } from '../../../src/download/http/body.ts';
import {
  artifactHeaders,
  getFollowingRedirects,
  type RequestContext,
  type Response,
} from '../../../src/download/http/request.ts';
import { FetchError, SizeMismatchError, WriteError } from '../../../src/errors.ts';
import { Redactor } from '../../../src/log/redact.ts';
import { testClient } from '../../helpers/http-client.ts';
import { type LoopbackServer, serve } from '../../helpers/loopback-server.ts';
import { makeTempDir, randomBytesBuffer } from '../../helpers/tmp.ts';

const body = randomBytesBuffer(1_000);
/** A request context over the loader's client with this stall timeout; closed on dispose. */
function requestContext(stallTimeoutMs = 2_000): RequestContext & Disposable {
  const client = testClient({ stallTimeoutMs });
  return {
    client,
    maxRedirects: 0,
    redactor: new Redactor(),
    [Symbol.dispose]: () => client.close(),
  };
}

/** The whole file as a body's target, appended to a real temp file, as one connection writes it. */
function wholeFile(temp: TempArtifact, sizeBytes = body.length, firstByte = 0): BodyTarget {
  return {
    firstByte,
    sizeBytes,
    sizeLabel: `the expected ${sizeBytes} bytes`,
    writtenBytes: () => temp.bytesWritten,
    write: (chunks) => temp.append(chunks),
  };
}

async function withTemp<T>(run: (temp: TempArtifact) => Promise<T>): Promise<T> {
  await using dir = await makeTempDir('body-');
  const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
  try {
    return await run(temp);
  } finally {
    await temp.discard();
  }
}

const signal = () => AbortSignal.timeout(10_000);

/** A server answering with `answer`, its answer as the loader receives it, and an empty temp file. */
interface Answered extends AsyncDisposable {
  readonly server: LoopbackServer;
  readonly response: Response;
  readonly temp: TempArtifact;
}

/** Serves `answer` and asks for it (with `headers`, over a client with this stall timeout). */
async function answered(
  answer: (response: ServerResponse) => void,
  {
    stallTimeoutMs = 2_000,
    headers = {},
  }: { stallTimeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<Answered> {
  await using stack = new AsyncDisposableStack();
  const server = stack.use(await serve((_request, response) => answer(response)));
  const context = stack.use(requestContext(stallTimeoutMs));
  const dir = stack.use(await makeTempDir('body-'));
  const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
  stack.defer(() => temp.discard());
  const response = await getFollowingRedirects(context, server.url(), headers, signal());
  const owned = stack.move();
  return { server, response, temp, [Symbol.asyncDispose]: () => owned.disposeAsync() };
}

describe('streamBody', () => {
  it('writes the whole body and reports the bytes received so far, up to the size', async () => {
    // The rest is sent once the first 400 bytes were heard: two reports, however busy the machine.
    const { promise: firstHeard, resolve: heardFirst } = Promise.withResolvers<void>();
    await using run = await answered((response) => {
      response.writeHead(200, { 'content-length': body.length });
      response.write(body.subarray(0, 400));
      void firstHeard.then(() => response.end(body.subarray(400)));
    });
    const heard: number[] = [];
    const onBytes = (bytes: number) => {
      heard.push(bytes);
      if (bytes >= 400) heardFirst();
    };
    await streamBody(run.response, wholeFile(run.temp), onBytes, signal());
    assert.deepEqual(await readFile(run.temp.path), body);
    assert.equal(heard.at(-1), body.length);
    assert.ok(heard.includes(400), `heard ${heard.join(',')}`);
    assert.deepEqual(
      heard,
      [...heard].sort((a, b) => a - b),
    );
  });

  it('continues after the bytes the target already holds', async () => {
    await using run = await answered((response) => {
      response.writeHead(206, { 'content-length': 700 });
      response.end(body.subarray(300));
    });
    await run.temp.append([body.subarray(0, 300)]);
    const heard: number[] = [];
    await streamBody(run.response, wholeFile(run.temp), (bytes) => heard.push(bytes), signal());
    assert.deepEqual(await readFile(run.temp.path), body);
    assert.equal(heard.at(-1), 1_000);
  });

  it('a body that runs past the target is cut before the first byte too many is written', async () => {
    await using run = await answered((response) => {
      // Chunked: nothing announces the size, the body just goes on.
      response.write(body.subarray(0, 600));
      setTimeout(() => response.end(Buffer.concat([body.subarray(600), Buffer.alloc(10)])), 20);
    });
    // A part: bytes 5000-5999 of the file.
    await assert.rejects(
      streamBody(run.response, wholeFile(run.temp, 1_000, 5_000), () => {}, signal()),
      (error: unknown) => {
        assert.ok(error instanceof SizeMismatchError);
        assert.equal(error.code, 'ERR_SIZE_MISMATCH');
        assert.equal(error.transient, false);
        assert.equal(
          error.message,
          `size mismatch: ${run.server.origin}/app.jar sent more than the expected 1000 bytes; stopped before writing byte 6001`,
        );
        assert.equal(error.details.expectedBytes, 1_000);
        return true;
      },
    );
    assert.ok(run.temp.bytesWritten <= 1_000, `${run.temp.bytesWritten} bytes written`);
  });

  for (const { framing, answer } of [
    {
      framing: 'its Content-Length was reached',
      answer: (response: ServerResponse) => {
        response.writeHead(200, { 'content-length': 400 });
        response.end(body.subarray(0, 400));
      },
    },
    {
      framing: 'its chunked body ended with the last chunk',
      answer: (response: ServerResponse) => {
        response.writeHead(200);
        response.end(body.subarray(0, 400));
      },
    },
  ]) {
    it(`a complete answer that ends short is a size mismatch, not retried: ${framing}`, async () => {
      await using run = await answered(answer);
      await assert.rejects(
        streamBody(run.response, wholeFile(run.temp), () => {}, signal()),
        (error: unknown) => {
          assert.ok(error instanceof SizeMismatchError);
          assert.equal(error.transient, false);
          assert.equal(
            error.message,
            `size mismatch: ${run.server.origin}/app.jar sent a complete answer that ends after 400 of the expected 1000 bytes (${framing}); the object there has another size, so it is not asked for again`,
          );
          assert.equal(error.details.expectedBytes, 1_000);
          assert.equal(error.details.receivedBytes, 400);
          return true;
        },
      );
      assert.deepEqual(await readFile(run.temp.path), body.subarray(0, 400));
    });
  }

  for (const statusLine of ['HTTP/1.0 200 OK', 'HTTP/1.1 200 OK\r\nconnection: close']) {
    it(`a body without a length cut short by a clean close is a break-off, retried: ${statusLine.split('\r')[0]}`, async () => {
      // Raw, without Content-Length or chunking: the close is the only end the body has.
      const tcp = createTcpServer((socket) => {
        socket.once('data', () => {
          socket.end(Buffer.concat([Buffer.from(`${statusLine}\r\n\r\n`), body.subarray(0, 400)]));
        });
      });
      tcp.listen(0, '127.0.0.1');
      await once(tcp, 'listening');
      const url = new URL(`http://127.0.0.1:${(tcp.address() as AddressInfo).port}/app.jar`);
      try {
        await using context = requestContext();
        await withTemp(async (temp) => {
          const response = await getFollowingRedirects(context, url, {}, signal());
          await assert.rejects(
            streamBody(response, wholeFile(temp), () => {}, signal()),
            (error: unknown) => {
              assert.ok(error instanceof FetchError, String(error));
              assert.equal(error.transient, true);
              assert.equal(
                error.message,
                `request to ${url.origin}/app.jar failed: the connection closed after 400 of the expected 1000 bytes with no length framing (no Content-Length, not chunked), so the end cannot be told from a break-off`,
              );
              assert.equal(error.details.errorCode, 'CLOSED_WITHOUT_LENGTH');
              assert.equal(error.details.receivedBytes, 400);
              assert.equal(error.details.expectedBytes, 1_000);
              return true;
            },
          );
          // What arrived is kept, for the next attempt to resume after.
          assert.deepEqual(await readFile(temp.path), body.subarray(0, 400));
        });
      } finally {
        await new Promise((resolve) => tcp.close(resolve));
      }
    });
  }

  it('a body that breaks off before its Content-Length keeps what arrived and fails transiently', async () => {
    await using run = await answered((response) => {
      response.writeHead(200, { 'content-length': body.length });
      response.write(body.subarray(0, 400), () => setTimeout(() => response.destroy(), 20));
    });
    await assert.rejects(
      streamBody(run.response, wholeFile(run.temp), () => {}, signal()),
      (error: unknown) => {
        assert.ok(error instanceof FetchError);
        assert.equal(error.transient, true);
        assert.match(
          error.message,
          new RegExp(`^request to ${run.server.origin}/app.jar failed: `),
        );
        return true;
      },
    );
    assert.deepEqual(await readFile(run.temp.path), body.subarray(0, 400));
  });

  it('a body that breaks off after its last byte (chunked, before the last chunk) is whole', async () => {
    await using run = await answered((response) => {
      response.writeHead(200);
      response.write(body, () => setTimeout(() => response.destroy(), 20));
    });
    await streamBody(run.response, wholeFile(run.temp), () => {}, signal());
    assert.deepEqual(await readFile(run.temp.path), body);
  });

  it('a body that stalls fails after the stall timeout, transiently, keeping what arrived', async () => {
    await using run = await answered(
      (response) => {
        response.writeHead(200, { 'content-length': body.length });
        response.write(body.subarray(0, 400));
      },
      { stallTimeoutMs: 100 },
    );
    await assert.rejects(
      streamBody(run.response, wholeFile(run.temp), () => {}, signal()),
      (error: unknown) => {
        assert.ok(error instanceof FetchError);
        assert.equal(error.transient, true);
        assert.equal(error.details.errorCode, 'BODY_TIMEOUT');
        assert.match(error.message, /no data received within the stall timeout/);
        return true;
      },
    );
    assert.deepEqual(await readFile(run.temp.path), body.subarray(0, 400));
  });

  it('an abort stops the body and is thrown with its reason', async () => {
    await using run = await answered((response) => {
      response.writeHead(200, { 'content-length': body.length });
      response.write(body.subarray(0, 400));
    });
    const controller = new AbortController();
    const reason = new Error('stopped by the test');
    const streaming = streamBody(
      run.response,
      wholeFile(run.temp),
      (bytes) => {
        if (bytes >= 400) controller.abort(reason);
      },
      controller.signal,
    );
    await assert.rejects(streaming, (error: unknown) => error === reason);
    assert.equal(run.response.body.destroyed, true);
  });

  it('a write that fails is the error thrown', async () => {
    await using run = await answered((response) => {
      response.writeHead(200, { 'content-length': body.length });
      response.end(body);
    });
    const failure = new WriteError('disk full');
    const target: BodyTarget = {
      firstByte: 0,
      sizeBytes: body.length,
      sizeLabel: 'the expected 1000 bytes',
      writtenBytes: () => 0,
      write: async () => {
        throw failure;
      },
    };
    await assert.rejects(
      streamBody(run.response, target, () => {}, signal()),
      (error: unknown) => error === failure,
    );
  });

  it('a chunk that is written is released: its memory is freed, the bytes on disk stay', async () => {
    const big = randomBytesBuffer(2 * 1024 * 1024 + 123);
    await using run = await answered(
      (response) => {
        response.writeHead(200, { 'content-length': big.length });
        response.end(big);
      },
      { headers: artifactHeaders('test') },
    );
    const { response, temp } = run;
    const written: Buffer[] = [];
    let wholeViews = 0;
    const target: BodyTarget = {
      ...wholeFile(temp, big.length),
      write: async (chunks) => {
        for (const chunk of chunks)
          if (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength)
            wholeViews += 1;
        written.push(...chunks);
        await temp.append(chunks);
      },
    };
    await streamBody(response, target, () => {}, signal());
    assert.deepEqual(await readFile(temp.path), big);
    // Socket reads come in buffers of their own: those are the ones released.
    assert.ok(wholeViews > 0, 'no chunk spanned its whole buffer');
    const released = written.filter((chunk) => chunk.byteLength === 0).length;
    assert.equal(released, wholeViews);
  });
});
