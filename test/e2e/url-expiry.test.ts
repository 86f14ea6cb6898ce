// Expiry-aware diagnostics (issue 14, point 3): the built loader against real
// loopback servers that answer as S3, GCS, Azure, our own `serve` and a plain
// epoch-signed server do for an expired, a refused and a not-yet-valid URL.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServeProcess } from '../../scripts/loader-process.ts';
import { signUrl } from '../../src/urls/sign-url.ts';
import { describeRun, eventsNamed, finalEvent } from '../helpers/events.ts';
import { assertNoSecret, type LoaderRun, runLoader } from '../helpers/run-loader.ts';
import { makeTempDir, randomBytesBuffer, type TempDir } from '../helpers/tmp.ts';

const artifact = randomBytesBuffer(64 * 1024 + 3);
const signature = 'c2lnbmF0dXJlLW5ldmVyLXByaW50ZWQ';

type Answer = (request: IncomingMessage, url: URL, response: ServerResponse) => void;

/** A loopback server whose every answer comes from the case's `answer`; counts requests. */
let server: Server;
let origin: string;
let answer: Answer;
let requests = 0;
let tmp: TempDir;
let caseNumber = 0;

before(async () => {
  tmp = await makeTempDir('url-expiry-');
  server = createServer((request, response) => {
    requests += 1;
    answer(request, new URL(request.url ?? '/', origin), response);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await tmp.cleanup();
});

function sendArtifact(response: ServerResponse): void {
  response.writeHead(200, { 'content-length': artifact.length });
  response.end(artifact);
}

function xmlError(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/xml' });
  response.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error>${body}</Error>`);
}

/** `20261130T120000Z`, as X-Amz-Date and X-Goog-Date are written. */
function basicIso(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]|\.[0-9]{3}/g, '');
}

/** ISO 8601 without milliseconds, as an Azure SAS writes `st` and `se`. */
function sasTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.[0-9]{3}/, '');
}

/** Whole seconds, so a time written in a URL is exactly the time meant. */
function wholeSecond(ms: number): number {
  return Math.ceil(ms / 1000) * 1000;
}

async function load(query: string, overrides: Record<string, string> = {}): Promise<LoaderRun> {
  caseNumber += 1;
  requests = 0;
  const run = await runLoader({
    env: {
      ARTIFACT_URL: `${origin}/bucket/app.jar?${query}`,
      ARTIFACT_EXPECTED_SIZE: String(artifact.length),
      ARTIFACT_PATH: join(tmp.path, `case-${caseNumber}`, 'app.jar'),
      LOADER_VERIFY_JAR: 'false',
      LOADER_LOG_FORMAT: 'json',
      LOADER_BACKOFF_BASE_SECONDS: '0.05',
      LOADER_TERMINATION_LOG: join(tmp.path, 'no-such-termination-log'),
      LOADER_DEADLINE_SECONDS: '60',
      ...overrides,
    },
  });
  // Only derived times are printed: never the signature, nor a raw time parameter next to it.
  const raw = [...new URLSearchParams(query).values()].filter((value) => value.length >= 6);
  assertNoSecret(run, [signature, query, ...raw]);
  return run;
}

/** The run failed with exit 3 and its message matches every pattern. */
function assertRejected(run: LoaderRun, ...patterns: RegExp[]): Record<string, unknown> {
  assert.equal(run.code, 3, describeRun(run));
  const failed = finalEvent(run);
  for (const pattern of patterns) assert.match(String(failed.msg), pattern, describeRun(run));
  return failed;
}

const minutesAgo = (minutes: number) => Date.now() - minutes * 60_000;
const expiredAtText = /the URL expired at 20[0-9-]+T[0-9:.]+Z, [0-9]+ minutes ago: issue a new one/;

describe('an expired URL, as each provider refuses it', () => {
  it('S3 SigV4: 403 AccessDenied "Request has expired" says when it expired', async () => {
    answer = (_request, _url, response) =>
      xmlError(
        response,
        403,
        '<Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>3600</X-Amz-Expires>',
      );
    const signedAt = wholeSecond(minutesAgo(90));
    const run = await load(
      `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=${basicIso(signedAt)}&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=${signature}`,
    );
    const failed = assertRejected(run, expiredAtText, /AccessDenied: Request has expired/);
    assert.equal(failed.urlExpiresAt, new Date(signedAt + 3_600_000).toISOString());
    assert.ok(Number(failed.urlExpiresInMinutes) <= -29, 'about 30 minutes ago');
    assert.equal(failed.urlForm, 's3-sigv4');
    assert.equal(requests, 1, 'not retried');
    // Warned before the request was made.
    const [warning] = eventsNamed(run, 'url-expiry');
    assert.equal(warning?.reason, 'expired', describeRun(run));
    assert.equal(warning?.level, 'warn');
  });

  it('GCS V4: 400 ExpiredToken is an expired URL (exit 3), not a "Bad Request"', async () => {
    answer = (_request, _url, response) =>
      xmlError(
        response,
        400,
        '<Code>ExpiredToken</Code><Message>The provided token has expired.</Message><Details>Request has expired: 900</Details>',
      );
    const run = await load(
      `X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Date=${basicIso(wholeSecond(minutesAgo(60)))}&X-Goog-Expires=900&X-Goog-SignedHeaders=host&X-Goog-Signature=${signature}`,
    );
    assertRejected(run, expiredAtText, /ExpiredToken: The provided token has expired/);
    assert.doesNotMatch(String(finalEvent(run).msg), /Bad Request/);
  });

  it('Azure SAS: 403 AuthenticationFailed gives the time-frame detail and the expiry', async () => {
    answer = (_request, _url, response) =>
      xmlError(
        response,
        403,
        '<Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\nRequestId:1\nTime:2026-11-30T12:00:00Z</Message><AuthenticationErrorDetail>Signature not valid in the specified time frame: Start [Mon, 30 Nov 2026 10:00:00 GMT] - Expiry [Mon, 30 Nov 2026 11:00:00 GMT] - Current [Mon, 30 Nov 2026 12:00:00 GMT]</AuthenticationErrorDetail>',
      );
    const run = await load(
      `sv=2022-11-02&st=${sasTime(minutesAgo(120))}&se=${sasTime(minutesAgo(60))}&sr=b&sp=r&sig=${signature}`,
    );
    assertRejected(
      run,
      expiredAtText,
      /AuthenticationFailed: Signature not valid in the specified time frame/,
    );
  });

  it('our own serve: 403 "Request has expired" for a URL signed to expire in the past', async () => {
    const dir = join(tmp.path, 'served');
    const secretFile = join(tmp.path, 'secret');
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'app.jar'), artifact);
    const secret = randomBytesBuffer(32).toString('base64');
    await writeFile(secretFile, `${secret}\n`, { mode: 0o600 });
    await using serve = await startServeProcess({ dir, secretFile });
    const url = signUrl({
      baseUrl: serve.origin,
      path: '/app.jar',
      secret,
      expiresAt: new Date(wholeSecond(minutesAgo(10))),
    });
    caseNumber += 1;
    const run = await runLoader({
      env: {
        ARTIFACT_URL: url,
        ARTIFACT_EXPECTED_SIZE: String(artifact.length),
        ARTIFACT_PATH: join(tmp.path, `case-${caseNumber}`, 'app.jar'),
        LOADER_VERIFY_JAR: 'false',
        LOADER_LOG_FORMAT: 'json',
        LOADER_TERMINATION_LOG: join(tmp.path, 'no-such-termination-log'),
      },
    });
    assertNoSecret(run, [
      new URL(url).searchParams.get('rl-signature') ?? '?',
      new URL(url).search,
    ]);
    const failed = assertRejected(run, expiredAtText, /Request has expired/);
    assert.equal(failed.urlForm, 'runtime-loader');
  });

  it('a plain epoch `expires` (seconds): the expiry is read, whatever the server says', async () => {
    answer = (_request, _url, response) => {
      response.writeHead(403, { 'content-type': 'text/plain' });
      response.end('Forbidden\n');
    };
    const expires = Math.floor(minutesAgo(5) / 1000);
    const run = await load(`expires=${expires}&signature=${signature}`);
    const failed = assertRejected(run, expiredAtText, /server says: "Forbidden"/);
    assert.equal(failed.urlExpiresAt, new Date(expires * 1000).toISOString());
  });

  it('an epoch `exp` in milliseconds reads the same', async () => {
    answer = (_request, _url, response) => {
      response.writeHead(401);
      response.end();
    };
    const run = await load(`exp=${minutesAgo(3)}&token=${signature}`);
    assertRejected(run, expiredAtText);
  });
});

describe('a refusal within the URL window, and a warning at start', () => {
  it('a 403 while the URL is still valid says its age is not why', async () => {
    answer = (_request, _url, response) =>
      xmlError(
        response,
        403,
        '<Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message><StringToSign>AWS4-HMAC-SHA256</StringToSign>',
      );
    const run = await load(
      `X-Amz-Date=${basicIso(wholeSecond(minutesAgo(1)))}&X-Amz-Expires=3600&X-Amz-Signature=${signature}`,
    );
    assertRejected(
      run,
      /expires at .*, in 5[0-9] minutes, so its age is not why/,
      /SignatureDoesNotMatch/,
    );
    assert.deepEqual(eventsNamed(run, 'url-expiry'), [], 'no warning for a URL valid this long');
  });

  it('a URL that expires before the deadline is warned about, and still used', async () => {
    answer = (_request, _url, response) => sendArtifact(response);
    const run = await load(
      `X-Amz-Date=${basicIso(wholeSecond(minutesAgo(10)))}&X-Amz-Expires=630&X-Amz-Signature=${signature}`,
      { LOADER_DEADLINE_SECONDS: '120' },
    );
    assert.equal(run.code, 0, describeRun(run));
    const [warning] = eventsNamed(run, 'url-expiry');
    assert.equal(warning?.reason, 'expires-before-deadline', describeRun(run));
    assert.match(String(warning?.msg), /expires at .*, in less than a minute, before the deadline/);
  });
});

describe('a URL not valid yet (the signer clock ahead): retried briefly, then refused', () => {
  it('S3 "Request is not yet valid" is waited out until the signature starts', async () => {
    const validFrom = wholeSecond(Date.now() + 1_500);
    answer = (_request, _url, response) => {
      if (Date.now() < validFrom) {
        xmlError(
          response,
          403,
          '<Code>AccessDenied</Code><Message>Request is not yet valid</Message>',
        );
      } else {
        sendArtifact(response);
      }
    };
    const run = await load(
      `X-Amz-Date=${basicIso(validFrom)}&X-Amz-Expires=3600&X-Amz-Signature=${signature}`,
    );
    assert.equal(run.code, 0, describeRun(run));
    const retries = eventsNamed(run, 'retry');
    assert.ok(retries.length >= 1, describeRun(run));
    assert.equal(retries[0]?.status, 403);
    assert.match(String(retries[0]?.reason), /not valid yet .*signer's clock is ahead/);
    assert.deepEqual(eventsNamed(run, 'url-expiry'), [], 'under 5 s ahead: no warning');
  });

  it('Azure: a 403 before `st` by the server Date is read as not yet valid, and waited out', async () => {
    const validFrom = wholeSecond(Date.now() + 1_500);
    answer = (_request, _url, response) => {
      if (Date.now() < validFrom) {
        xmlError(
          response,
          403,
          '<Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.</Message><AuthenticationErrorDetail>Signature not valid in the specified time frame</AuthenticationErrorDetail>',
        );
      } else {
        sendArtifact(response);
      }
    };
    const run = await load(
      `st=${sasTime(validFrom)}&se=${sasTime(validFrom + 3_600_000)}&sp=r&sig=${signature}`,
    );
    assert.equal(run.code, 0, describeRun(run));
    assert.match(String(eventsNamed(run, 'retry')[0]?.reason), /not valid yet/);
  });

  it('a signature ten minutes ahead is not waited for: exit 3 at once, saying why', async () => {
    answer = (_request, _url, response) =>
      xmlError(
        response,
        403,
        '<Code>AccessDenied</Code><Message>Request is not yet valid</Message>',
      );
    const run = await load(
      `X-Amz-Date=${basicIso(wholeSecond(Date.now() + 600_000))}&X-Amz-Expires=3600&X-Amz-Signature=${signature}`,
    );
    assertRejected(run, /not valid yet/, /not waited for: fix the signer's clock/);
    assert.equal(requests, 1);
    assert.equal(eventsNamed(run, 'url-expiry')[0]?.reason, 'signed-in-the-future');
  });

  it('a "not yet valid" that never ends is bounded by LOADER_MAX_ATTEMPTS (exit 3)', async () => {
    answer = (_request, _url, response) =>
      xmlError(
        response,
        403,
        '<Code>AccessDenied</Code><Message>Request is not yet valid</Message>',
      );
    const run = await load(`token=${signature}`, { LOADER_MAX_ATTEMPTS: '3' });
    assertRejected(run, /not valid yet: the signer's clock is ahead/);
    assert.equal(requests, 3);
  });
});
