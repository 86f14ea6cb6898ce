// `sign --k8s-secret NAME --k8s-apply`: what the CronJob runs. A loopback
// HTTPS server plays the Kubernetes API server, with a private CA and a
// service-account folder laid out as the kubelet mounts it.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type InClusterApi, patchSecret } from '../../src/commands/k8s-apply.ts';
import { expiresAtAnnotation } from '../../src/commands/k8s-secret.ts';
import { FetchError } from '../../src/errors.ts';
import { signUrl } from '../../src/urls/sign-url.ts';
import { verifySignedUrl } from '../../src/urls/verify-url.ts';
import { serve } from '../helpers/loopback-server.ts';
import { assertNoSecret, runLoader } from '../helpers/run-loader.ts';
import { makeTestPki, type TestPki } from '../helpers/tls.ts';
import { makeTempDir, type TempDir } from '../helpers/tmp.ts';

const signingSecret = 's'.repeat(44);
const token = 'service-account-token-value';

interface ApiRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let pki: TestPki;
let tmp: TempDir;
let api: Server;
let port: number;
let seen: ApiRequest[] = [];
let answer: { status: number; body: unknown } = { status: 200, body: {} };
const answerJson = (response: ServerResponse) => {
  response.writeHead(answer.status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(answer.body));
};
/** How the API server answers: with `answer` as JSON unless a test says otherwise. */
let respond: (response: ServerResponse) => void = answerJson;
beforeEach(() => {
  respond = answerJson;
});

/** The API server: records each request whole, then answers it with `respond`. */
function apiHandler(request: IncomingMessage, response: ServerResponse): void {
  let body = '';
  request.setEncoding('utf8');
  request.on('data', (chunk: string) => {
    body += chunk;
  });
  request.on('end', () => {
    seen.push({
      method: request.method ?? '',
      path: request.url ?? '',
      headers: request.headers,
      body,
    });
    respond(response);
  });
}

/** A service-account folder as the kubelet mounts it, with `token` as the token file. */
async function accountDir(name: string, tokenFile: string): Promise<string> {
  const dir = join(tmp.path, name);
  await mkdir(dir);
  await writeFile(join(dir, 'token'), tokenFile);
  await writeFile(join(dir, 'ca.crt'), pki.caCert);
  await writeFile(join(dir, 'namespace'), 'apps');
  return dir;
}

before(async () => {
  pki = await makeTestPki();
  tmp = await makeTempDir('k8s-apply-');
  await accountDir('serviceaccount', `${token}\n`);
  await writeFile(join(tmp.path, 'secret'), signingSecret, { mode: 0o600 });
  api = createServer({ key: pki.key, cert: pki.cert }, apiHandler);
  api.listen(0, '127.0.0.1');
  await new Promise((resolve) => api.once('listening', resolve));
  port = (api.address() as AddressInfo).port;
});
after(async () => {
  api.closeAllConnections();
  await new Promise((resolve) => api.close(resolve));
  await tmp.cleanup();
  await pki.cleanup();
});

function apply(
  extraArgs: string[] = [],
  env: Record<string, string> = {},
  onSpawn?: (child: ChildProcess) => void,
) {
  seen = [];
  return runLoader({
    ...(onSpawn === undefined ? {} : { onSpawn }),
    args: [
      'sign',
      '--base-url',
      'https://artifacts.example',
      '--path',
      '/app.jar',
      '--secret-file',
      join(tmp.path, 'secret'),
      '--ttl',
      '12h',
      '--k8s-secret',
      'jvm-app-artifact',
      '--k8s-apply',
      '--k8s-serviceaccount-dir',
      join(tmp.path, 'serviceaccount'),
      ...extraArgs,
    ],
    env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port), ...env },
  });
}

describe('runtime-loader sign --k8s-secret NAME --k8s-apply', () => {
  it('patches that one Secret with a fresh URL, the size and its expiry, printing no URL', async () => {
    answer = { status: 200, body: { kind: 'Secret' } };
    const before = Date.now();
    const run = await apply(['--size', '52428800']);
    const after = Date.now();
    assert.equal(run.code, 0, run.stderr);
    assert.equal(seen.length, 1);
    const [request] = seen;
    assert.ok(request);
    assert.equal(request.method, 'PATCH');
    // fieldManager names this tool in the Secret's managedFields.
    assert.equal(
      request.path,
      '/api/v1/namespaces/apps/secrets/jvm-app-artifact?fieldManager=runtime-loader',
    );
    assert.equal(request.headers.authorization, `Bearer ${token}`);
    assert.equal(request.headers['content-type'], 'application/merge-patch+json');
    const patch = JSON.parse(request.body) as {
      metadata: { annotations: Record<string, string> };
      stringData: { url: string; size: string };
    };
    assert.ok(verifySignedUrl(patch.stringData.url, signingSecret).ok, 'a URL that verifies');
    assert.equal(patch.stringData.size, '52428800');
    const expiresAt = Date.parse(patch.metadata.annotations[expiresAtAnnotation] ?? '');
    // 12 h after a moment of the run (the annotation has whole seconds).
    const twelveHours = 12 * 3_600_000;
    assert.ok(
      expiresAt >= before - 1_000 + twelveHours && expiresAt <= after + twelveHours,
      `expires at ${expiresAt}, patched between ${before} and ${after}`,
    );
    assert.match(run.stdout, /^patched Secret apps\/jvm-app-artifact/);
    assertNoSecret(run, [new URL(patch.stringData.url).search.slice(1), token]);
  });

  it('a Secret that does not exist yet: exit 3, saying to create it once', async () => {
    answer = {
      status: 404,
      body: { kind: 'Status', message: 'secrets "jvm-app-artifact" not found' },
    };
    const run = await apply();
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /Secret apps\/jvm-app-artifact does not exist .*create it once/);
  });

  it('refused by RBAC: exit 3 with the API server message, the URL scrubbed from it', async () => {
    answer = { status: 403, body: { kind: 'Status', message: 'forbidden: cannot patch' } };
    const run = await apply();
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /refused to patch .*forbidden: cannot patch.*Role and RoleBinding/);
    const patch = JSON.parse(seen[0]?.body ?? '{}') as { stringData: { url: string } };
    // A server that echoes the value it refused must not make sign print it.
    answer = { status: 422, body: { message: `invalid value ${patch.stringData.url}` } };
    const echoed = await apply();
    assert.equal(echoed.code, 3, echoed.stderr);
    const signature = new URL(JSON.parse(seen[0]?.body ?? '{}').stringData.url).searchParams.get(
      'rl-signature',
    );
    assert.ok(signature);
    assertNoSecret(echoed, [signature]);
  });

  it('a conflict (409) or an invalid patch (422) is refused for good: exit 3; 429 and 5xx exit 4', async () => {
    for (const [status, code] of [
      [409, 3],
      [422, 3],
      [429, 4],
      [503, 4],
    ] as const) {
      answer = { status, body: { kind: 'Status', message: `status ${status}` } };
      const run = await apply();
      assert.equal(run.code, code, `${status}: ${run.stderr}`);
      assert.match(run.stderr, new RegExp(`\\(${status}\\)|answered ${status}`));
      assert.ok(run.stderr.includes(`status ${status}`), run.stderr);
    }
  });

  it('never prints the service-account token, even when the API server repeats it', async () => {
    answer = {
      status: 401,
      body: {
        kind: 'Status',
        message: `token ${token} is not valid (${encodeURIComponent(token)}); header was: Bearer ${token}`,
      },
    };
    const run = await apply();
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /refused to patch .*\(401\).*is not valid/);
    assertNoSecret(run, [token, 'account-token-value']);
  });

  it('a token file with a line break inside: exit 2 saying so, nothing sent, the token never shown', async () => {
    const dir = await accountDir('broken-token', 'first-half-of-token\r\nsecond-half-of-token\n');
    const run = await apply(['--k8s-serviceaccount-dir', dir]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /broken-token\/token" holds characters an Authorization header/);
    assert.equal(seen.length, 0, 'no request was sent');
    assert.equal(run.stdout, '');
    assertNoSecret(run, ['first-half', 'second-half']);
  });

  it('a KUBERNETES_SERVICE_HOST with a port, or a bad port: exit 2 naming the variable, before signing', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [
        { KUBERNETES_SERVICE_HOST: `127.0.0.1:${port}` },
        /KUBERNETES_SERVICE_HOST: expected a host name or an IP address, without a port .*got "127\.0\.0\.1:[0-9]+"/,
      ],
      [{ KUBERNETES_SERVICE_HOST: 'api server' }, /KUBERNETES_SERVICE_HOST: expected a host name/],
      [
        { KUBERNETES_SERVICE_PORT: 'https' },
        /KUBERNETES_SERVICE_PORT: expected a port number from 1 to 65535, got "https"/,
      ],
      [{ KUBERNETES_SERVICE_PORT: '70000' }, /KUBERNETES_SERVICE_PORT: expected a port number/],
    ];
    for (const [env, message] of cases) {
      // No secret file either: the address is checked first, before anything is signed.
      const run = await apply(['--secret-file', join(tmp.path, 'no-secret-here')], env);
      assert.equal(run.code, 2, `${JSON.stringify(env)}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
      assert.equal(seen.length, 0, 'no request was sent');
    }
  });

  it('an IPv6 KUBERNETES_SERVICE_HOST is bracketed in the address', async () => {
    const v6 = createServer({ key: pki.key, cert: pki.cert }, apiHandler);
    v6.listen(0, '::1');
    await once(v6, 'listening');
    try {
      answer = { status: 200, body: { kind: 'Secret' } };
      const run = await apply([], {
        KUBERNETES_SERVICE_HOST: '::1',
        KUBERNETES_SERVICE_PORT: String((v6.address() as AddressInfo).port),
      });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(seen.length, 1);
    } finally {
      v6.closeAllConnections();
      await new Promise((resolve) => v6.close(resolve));
    }
  });

  it('SIGTERM before the answer, or while it is read: exit 143, saying so', async () => {
    for (const moment of ['before the headers', 'during the body'] as const) {
      let child: ChildProcess | undefined;
      const held: ServerResponse[] = [];
      respond = (response) => {
        held.push(response);
        if (moment === 'during the body') {
          response.writeHead(200, { 'content-type': 'application/json' });
          // The signal goes once the headers and a first byte are on their way.
          response.write('{', () => child?.kill('SIGTERM'));
        } else {
          child?.kill('SIGTERM');
        }
      };
      const run = await apply([], {}, (spawned) => {
        child = spawned;
      });
      for (const response of held) response.destroy();
      assert.equal(run.code, 143, `${moment}: ${run.stderr}`);
      assert.equal(run.stderr, 'runtime-loader sign: interrupted by SIGTERM\n', moment);
      assert.equal(run.stdout, '');
    }
  });

  it('reads no more than a few KiB of an error answer, however long it is', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const offeredBytes = 64 * 1024 * 1024;
    let sentBytes = 0;
    let sentWhole = false;
    let closed: Promise<unknown> = Promise.resolve();
    respond = (response) => {
      closed = once(response, 'close');
      response.writeHead(500, { 'content-type': 'application/json' });
      const pump = () => {
        while (sentBytes < offeredBytes) {
          sentBytes += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        response.end(() => {
          sentWhole = true;
        });
      };
      response.write('{"kind":"Status","message":"');
      pump();
    };
    const run = await apply();
    await closed;
    assert.equal(run.code, 4, run.stderr);
    assert.match(
      run.stderr,
      /the API server answered 500 to patching Secret apps\/jvm-app-artifact/,
    );
    assert.equal(sentWhole, false, `the client took all ${sentBytes} bytes`);
  });

  it('an API server whose certificate is not from the pod CA is not trusted (exit 4)', async () => {
    const other = await makeTestPki();
    try {
      await writeFile(join(tmp.path, 'serviceaccount', 'ca.crt'), other.caCert);
      const run = await apply();
      assert.equal(run.code, 4, run.stderr);
      assert.equal(seen.length, 0, 'no request was sent');
    } finally {
      await writeFile(join(tmp.path, 'serviceaccount', 'ca.crt'), pki.caCert);
      await other.cleanup();
    }
  });

  it('outside a pod (no KUBERNETES_SERVICE_HOST) or without a token: exit 2 before signing', async () => {
    const outside = await runLoader({
      args: [
        'sign',
        '--base-url',
        'https://a.example',
        '--path',
        '/app.jar',
        '--secret-file',
        join(tmp.path, 'secret'),
        '--k8s-secret',
        'x',
        '--k8s-apply',
      ],
    });
    assert.equal(outside.code, 2);
    assert.match(outside.stderr, /KUBERNETES_SERVICE_HOST/);
    const noToken = await apply(['--k8s-serviceaccount-dir', join(tmp.path, 'nowhere')]);
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /cannot read .*token/);
    assert.equal(noToken.stdout, '');
  });

  it('--k8s-apply without --k8s-secret is exit 2', async () => {
    const run = await runLoader({
      args: [
        'sign',
        '--base-url',
        'https://a.example',
        '--path',
        '/app.jar',
        '--secret-file',
        join(tmp.path, 'secret'),
        '--k8s-apply',
      ],
    });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--k8s-apply needs --k8s-secret/);
  });
});

describe('patchSecret', () => {
  const url = signUrl({
    baseUrl: 'https://artifacts.example',
    path: '/app.jar',
    ttlSeconds: 600,
    secret: signingSecret,
  });

  it('bounds the whole request, answer included: an answer dripped byte by byte is cut', async () => {
    let drips = 0;
    let dripping: NodeJS.Timeout | undefined;
    // Headers at once, then one byte every 50 ms: no single wait is long, the answer never ends in time.
    await using server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{');
      dripping = setInterval(() => {
        drips += 1;
        if (drips < 60) response.write(' ');
        else {
          clearInterval(dripping);
          response.end('}');
        }
      }, 50);
      response.once('close', () => clearInterval(dripping));
    });
    const api: InClusterApi = { origin: server.origin, token, caPem: '', namespace: 'apps' };
    await assert.rejects(
      patchSecret(
        api,
        { name: 'jvm-app-artifact', url, sizeBytes: undefined },
        { signal: new AbortController().signal, timeoutMs: 300 },
      ),
      (error: unknown) =>
        error instanceof FetchError &&
        /Secret apps\/jvm-app-artifact: the API server at http:\/\/127\.0\.0\.1:[0-9]+ did not answer within 0\.3 s/.test(
          error.message,
        ),
    );
  });
});
