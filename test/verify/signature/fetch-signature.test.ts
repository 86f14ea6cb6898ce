import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FetchError, IntegrityError, RejectedError } from '../../../src/errors.ts';
import {
  fetchSignature,
  maxSignatureBytes,
} from '../../../src/verify/signature/fetch-signature.ts';
import { configFor, downloadKit } from '../../helpers/download-kit.ts';
import { serve } from '../../helpers/loopback-server.ts';

const signature = Buffer.from('untrusted comment: a signature, as far as the fetch cares\n');

/** Fetches `path` from `server` as a run would, in a session over the artifact's URL there. */
async function fetchFrom(origin: string, path: string) {
  await using kit = downloadKit(configFor(`${origin}/app.jar`, 1024));
  const url = new URL(path, origin);
  kit.redactor.addUrl(url);
  let bytes: Buffer | undefined;
  let error: unknown;
  try {
    bytes = await fetchSignature(kit.session, url, new AbortController().signal);
  } catch (caught) {
    error = caught;
  }
  return { bytes, error, retries: kit.named('retry'), attempts: kit.session.attempts };
}

describe('fetchSignature', () => {
  it('brings the body of a 200, after a redirect and a retried 503', async () => {
    let answers = 0;
    await using server = await serve((request, response) => {
      answers += 1;
      if (answers === 1) return void response.writeHead(503).end();
      if (request.url?.startsWith('/app.jar.minisig'))
        return void response.writeHead(302, { location: '/signatures/app.jar.minisig' }).end();
      response.writeHead(200, { 'content-length': signature.length }).end(signature);
    });
    const { bytes, retries, attempts } = await fetchFrom(server.origin, '/app.jar.minisig?sig=x');
    assert.deepEqual(bytes, signature);
    assert.equal(retries.length, 1);
    assert.equal(retries[0]?.fetching, 'signature');
    assert.match(String(retries[0]?.msg), /^attempt 1 of the signature failed/);
    assert.equal(attempts, 2, "the signature's retries count in the run's attempts");
    assert.deepEqual(server.paths, [
      '/app.jar.minisig?sig=x',
      '/app.jar.minisig?sig=x',
      '/signatures/app.jar.minisig',
    ]);
  });

  it('calls a 404 or 410 no signature (exit 3), not retried', async () => {
    for (const status of [404, 410]) {
      await using server = await serve(
        (_request, response) => void response.writeHead(status).end(),
      );
      const { error } = await fetchFrom(server.origin, '/app.jar.minisig');
      assert.ok(error instanceof RejectedError, String(error));
      assert.equal(error.exitCode, 3);
      assert.match(
        error.message,
        new RegExp(
          `^no signature at ${server.origin}/app.jar.minisig: the server answered ${status} \\(ARTIFACT_SIGNATURE_URL\\)`,
        ),
      );
      assert.equal(server.paths.length, 1);
    }
  });

  it('names the signature in any other failure, keeping its exit code', async () => {
    await using server = await serve((_request, response) => void response.writeHead(403).end());
    const { error } = await fetchFrom(server.origin, '/app.jar.minisig');
    assert.ok(error instanceof RejectedError, String(error));
    assert.match(
      error.message,
      /^fetching the signature \(ARTIFACT_SIGNATURE_URL\): server rejected the request with 403/,
    );
    await using down = await serve((_request, response) => void response.writeHead(502).end());
    const gone = await fetchFrom(down.origin, '/app.jar.minisig');
    assert.ok(gone.error instanceof FetchError, String(gone.error));
    assert.match(
      gone.error.message,
      /^fetching the signature \(ARTIFACT_SIGNATURE_URL\): server answered 502/,
    );
    assert.equal(gone.attempts, 3, 'retried as any 5xx');
  });

  it('refuses an answer over 64 KiB as no signature (exit 6), announced or not', async () => {
    const large = Buffer.alloc(maxSignatureBytes + 1, 0x41);
    for (const announced of [true, false]) {
      await using server = await serve((_request, response) => {
        response.writeHead(200, announced ? { 'content-length': large.length } : {}).end(large);
      });
      const { error } = await fetchFrom(server.origin, '/app.jar.minisig');
      assert.ok(error instanceof IntegrityError, String(error));
      assert.equal(error.details.reason, 'signature-unparseable');
      assert.match(error.message, /not a signature, which is at most 65536 bytes/);
    }
  });
});
