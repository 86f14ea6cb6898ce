import assert from 'node:assert/strict';
import type { OutgoingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { getFollowingRedirects } from '../../src/download/http/request.ts';
import { FetchError, type LoaderError, RejectedError } from '../../src/errors.ts';
import { Redactor } from '../../src/log/redact.ts';
import { registryAnswerError } from '../../src/resolve/registry-errors.ts';
import { testClient } from '../helpers/http-client.ts';
import { type LoopbackServer, serve } from '../helpers/loopback-server.ts';

interface Answer {
  readonly status: number;
  readonly reason?: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: string;
}

let server: LoopbackServer;
let next: Answer = { status: 200 };
const client = testClient();
before(async () => {
  server = await serve((_request, response) => {
    response.writeHead(next.status, next.reason ?? '', next.headers ?? {});
    response.end(next.body);
  });
});
after(async () => {
  await server[Symbol.asyncDispose]();
  client.close();
});

const json = { 'content-type': 'application/json; charset=utf-8' };
const errors = (code: string, message: string, detail: unknown = {}) =>
  JSON.stringify({ errors: [{ code, message, detail }] });

/** The error the answer means for a manifest request. */
async function errorFor(answer: Answer, redactor = new Redactor()): Promise<LoaderError> {
  next = answer;
  const context = { client, maxRedirects: 0, redactor };
  const response = await getFollowingRedirects(
    context,
    server.url('/v2/team/app/manifests/1.0'),
    {},
    AbortSignal.timeout(5_000),
  );
  return registryAnswerError(response, 200, redactor, {
    what: 'the manifest oci://reg/team/app:1.0',
    authAdvice: () => 'check the credentials',
  });
}

describe('registryAnswerError', () => {
  it("an unknown name, tag or blob: exit 3 with the registry's code and message, and what it means", async () => {
    for (const [code, meaning] of [
      ['NAME_UNKNOWN', 'no such repository in this registry'],
      ['MANIFEST_UNKNOWN', 'no such tag or digest in this repository'],
      ['BLOB_UNKNOWN', 'the registry does not have this blob'],
    ]) {
      const error = await errorFor({
        status: 404,
        reason: 'Not Found',
        headers: json,
        body: errors(code ?? '', 'unknown to registry', { Tag: '1.0' }),
      });
      assert.ok(error instanceof RejectedError);
      assert.equal(error.exitCode, 3);
      assert.deepEqual(error.details, {
        status: 404,
        errorCode: code,
        serverReason: 'unknown to registry',
      });
      assert.match(
        error.message,
        new RegExp(
          `refused the manifest oci://reg/team/app:1\\.0 at http://127\\.0\\.0\\.1:\\d+/v2/team/app/manifests/1\\.0 with 404 Not Found \\(${code}: unknown to registry\\): ${meaning}$`,
        ),
      );
      assert.doesNotMatch(error.message, /Tag/, 'the detail is never shown');
    }
  });

  it('UNAUTHORIZED and DENIED: exit 3 with the advice about credentials, never a signed-URL hint', async () => {
    for (const [status, code] of [
      [401, 'UNAUTHORIZED'],
      [403, 'DENIED'],
    ] as const) {
      const error = await errorFor({
        status,
        headers: json,
        body: errors(code, 'access to the resource is denied'),
      });
      assert.ok(error instanceof RejectedError);
      assert.equal(error.details.errorCode, code);
      assert.match(error.message, /: check the credentials$/);
      assert.doesNotMatch(error.message, /signed URL|expired/);
    }
  });

  it("a proxy's 407 (a plain-HTTP registry behind HTTP_PROXY) is the proxy's refusal: exit 4, not retried", async () => {
    const error = await errorFor({
      status: 407,
      headers: { 'proxy-authenticate': 'Basic realm="proxy"', ...json },
      body: errors('DENIED', 'proxy text'),
    });
    assert.ok(error instanceof FetchError);
    assert.equal(error.exitCode, 4);
    assert.equal(error.transient, false);
    assert.deepEqual(error.details, { errorCode: 'PROXY_REFUSED', proxyStatus: 407 });
    assert.match(error.message, /the proxy refused the request: it answered 407 \(the proxy asks/);
    assert.doesNotMatch(error.message, /proxy text/);
  });

  it('429 TOOMANYREQUESTS and 5xx are transient; a Retry-After paces the retry', async () => {
    const throttled = await errorFor({
      status: 429,
      headers: { ...json, 'retry-after': '7' },
      body: errors('TOOMANYREQUESTS', 'too many requests'),
    });
    assert.ok(throttled instanceof FetchError);
    assert.equal(throttled.transient, true);
    assert.equal(throttled.retryAfterMs, 7000);
    assert.equal(throttled.details.errorCode, 'TOOMANYREQUESTS');
    const down = await errorFor({ status: 503, body: 'upstream down' });
    assert.ok(down instanceof FetchError && down.transient);
    assert.equal(down.details.errorCode, undefined, 'no JSON, no code');
    const broken = await errorFor({ status: 501 });
    assert.ok(broken instanceof FetchError && !broken.transient);
  });

  it('what the registry says is server text: redacted, one line, cut short; an odd code is not taken', async () => {
    const redactor = new Redactor();
    redactor.addSecret('hunter2-registry-password');
    const error = await errorFor(
      {
        status: 401,
        headers: json,
        body: errors(
          'not a code',
          `bad credentials hunter2-registry-password\nBearer abc.def ${'x'.repeat(300)}`,
        ),
      },
      redactor,
    );
    assert.equal(error.details.errorCode, undefined);
    const reason = String(error.details.serverReason);
    assert.ok(!reason.includes('hunter2'), reason);
    assert.ok(!reason.includes('abc.def'), reason);
    assert.ok(reason.length <= 160, reason);
    assert.doesNotMatch(reason, /\n/);
  });

  it('another 2xx, or a 304 not asked for, is an answer that is not the manifest', async () => {
    const error = await errorFor({ status: 304 });
    assert.ok(error instanceof FetchError && !error.transient);
    assert.match(error.message, /answered 304 for the manifest .*, expected 200$/);
  });
});
