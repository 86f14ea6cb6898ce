// `sign --k8s-secret NAME --k8s-apply`: what the CronJob runs. A loopback
// HTTPS server plays the Kubernetes API server, with a private CA and a
// service-account folder laid out as the kubelet mounts it.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expiresAtAnnotation } from '../../src/commands/k8s-secret.ts';
import { verifySignedUrl } from '../../src/signing/verify-url.ts';
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

before(async () => {
  pki = await makeTestPki();
  tmp = await makeTempDir('k8s-apply-');
  const accountDir = join(tmp.path, 'serviceaccount');
  await mkdir(accountDir);
  await writeFile(join(accountDir, 'token'), `${token}\n`);
  await writeFile(join(accountDir, 'ca.crt'), pki.caCert);
  await writeFile(join(accountDir, 'namespace'), 'apps');
  await writeFile(join(tmp.path, 'secret'), signingSecret, { mode: 0o600 });
  api = createServer({ key: pki.key, cert: pki.cert }, (request, response) => {
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
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer.body));
    });
  });
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

function apply(extraArgs: string[] = [], env: Record<string, string> = {}) {
  seen = [];
  return runLoader({
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
    assert.equal(request.path, '/api/v1/namespaces/apps/secrets/jvm-app-artifact');
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
    assert.equal(echoed.code, 4);
    const signature = new URL(JSON.parse(seen[0]?.body ?? '{}').stringData.url).searchParams.get(
      'rl-signature',
    );
    assert.ok(signature);
    assertNoSecret(echoed, [signature]);
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
