import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningArtifactServer } from '../../src/serve/server.ts';
import { queryParameter } from '../../src/urls/canonical.ts';
import { type SigningKey, signatureBytes, signingKey } from '../../src/urls/keys.ts';
import type { ServerLog } from '../helpers/access-log.ts';
import { httpGet, rawGet } from '../helpers/http-get.ts';
import { startInProcessServer } from '../helpers/serve-in-process.ts';
import { makeTempDir, randomBytesBuffer, type TempDir } from '../helpers/tmp.ts';

const secret = 's'.repeat(43);
const key = signingKey(secret);
const outsideSecret = 'TOP-SECRET-OUTSIDE-THE-FOLDER';
const artifact = randomBytesBuffer(256 * 1024);

/** `rawPath?<signature>`: signs the path exactly as given, so traversal attempts carry valid signatures. */
function signedTarget(
  rawPath: string,
  options: { ttlSeconds?: number; signer?: SigningKey } = {},
): string {
  const signer = options.signer ?? key;
  const expiresUnixSeconds = Math.floor(Date.now() / 1000) + (options.ttlSeconds ?? 300);
  const signature = signatureBytes(signer, { path: rawPath, expiresUnixSeconds }).toString(
    'base64url',
  );
  return `${rawPath}?${queryParameter.expires}=${expiresUnixSeconds}&${queryParameter.keyId}=${signer.id}&${queryParameter.signature}=${signature}`;
}

/** A server on `folder` that paces each connection at `bytesPerSecond` and logs nowhere. */
async function pacedServer(folder: string, bytesPerSecond: number): Promise<RunningArtifactServer> {
  const { running } = await startInProcessServer({
    folder,
    secret,
    bytesPerSecondPerConnection: bytesPerSecond,
  });
  return running;
}

const statusOf = (raw: Buffer) => Number(raw.toString('latin1').split(' ')[1]);

describe('the artifact server', () => {
  let tmp: TempDir;
  let server: RunningArtifactServer;
  let log: ServerLog;
  const url = (target: string) => `${server.origin}${target}`;

  before(async () => {
    tmp = await makeTempDir('artifact-server-');
    const files = join(tmp.path, 'files');
    await mkdir(join(files, 'sub'), { recursive: true });
    await writeFile(join(files, 'app.jar'), artifact);
    await writeFile(join(files, 'sub', 'inner.jar'), 'inner');
    await writeFile(join(files, '.hidden'), outsideSecret);
    await writeFile(join(tmp.path, 'secret.txt'), outsideSecret);
    await mkdir(join(tmp.path, 'outside-dir'));
    await writeFile(join(tmp.path, 'outside-dir', 'app.jar'), outsideSecret);
    await symlink(join(files, 'app.jar'), join(files, 'inside-link.jar'));
    await symlink(join(tmp.path, 'secret.txt'), join(files, 'out-link.txt'));
    await symlink('../secret.txt', join(files, 'sub', 'relative-out.txt'));
    await symlink(join(tmp.path, 'outside-dir'), join(files, 'out-dir'));
    ({ running: server, log } = await startInProcessServer({ folder: files, secret }));
  });

  after(async () => {
    await server?.close(1000);
    await tmp?.cleanup();
  });

  it('serves a file through a signed URL with length, strong ETag, Last-Modified and Accept-Ranges', async () => {
    const response = await httpGet(url(signedTarget('/app.jar')));
    assert.equal(response.status, 200);
    assert.ok(response.body.equals(artifact));
    assert.equal(response.headers['content-length'], String(artifact.length));
    assert.equal(response.headers['accept-ranges'], 'bytes');
    assert.equal(response.headers['content-type'], 'application/java-archive');
    assert.match(response.headers.etag ?? '', /^"[0-9a-z-]+"$/);
    assert.ok(!Number.isNaN(Date.parse(response.headers['last-modified'] ?? '')));
  });

  it('answers HEAD with exactly the headers of the GET, and ignores Range on it (RFC 9110 §14.2)', async () => {
    const target = url(signedTarget('/app.jar'));
    const comparable = (all: Record<string, unknown>) => {
      const { date: _date, ...rest } = all;
      return rest;
    };
    const get = await httpGet(target);
    for (const headers of [{}, { range: 'bytes=100-199' }]) {
      const head = await httpGet(target, { method: 'HEAD', headers });
      assert.deepEqual(comparable(head.headers), comparable(get.headers));
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
    }
  });

  it('serves single ranges as 206 with Content-Range, and 416 with the size past the end', async () => {
    const target = url(signedTarget('/app.jar'));
    const part = await httpGet(target, { headers: { range: 'bytes=1000-1999' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 1000-1999/${artifact.length}`);
    assert.ok(part.body.equals(artifact.subarray(1000, 2000)));
    const tail = await httpGet(target, { headers: { range: 'bytes=-100' } });
    assert.ok(tail.body.equals(artifact.subarray(-100)));
    const beyond = await httpGet(target, { headers: { range: `bytes=${artifact.length}-` } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers['content-range'], `bytes */${artifact.length}`);
    assert.equal(beyond.headers['content-type'], 'text/plain; charset=utf-8', 'its own body type');
    assert.equal(beyond.headers['cache-control'], 'no-store');
    const several = await httpGet(target, { headers: { range: 'bytes=0-1,5-6' } });
    assert.equal(several.status, 200, 'several ranges: the whole file');
    assert.equal(several.body.length, artifact.length);
  });

  it('honours If-Range for the current ETag and sends the whole file for a stale one', async () => {
    const target = url(signedTarget('/app.jar'));
    const { etag = '' } = (await httpGet(target, { method: 'HEAD' })).headers;
    const same = await httpGet(target, { headers: { range: 'bytes=10-19', 'if-range': etag } });
    assert.equal(same.status, 206);
    const stale = await httpGet(target, { headers: { range: 'bytes=10-19', 'if-range': '"old"' } });
    assert.equal(stale.status, 200);
    assert.ok(stale.body.equals(artifact));
  });

  it('refuses a missing, tampered, foreign or expired signature with 403 and a short reason', async () => {
    const good = signedTarget('/app.jar');
    const cases: [string, RegExp][] = [
      ['/app.jar', /^Missing signature/],
      [good.replace('/app.jar', '/sub/inner.jar'), /^Signature does not match/],
      [signedTarget('/app.jar', { signer: signingKey('x'.repeat(43)) }), /^Unknown signing key/],
      [signedTarget('/app.jar', { ttlSeconds: -5 }), /^Request has expired/],
    ];
    for (const [target, reason] of cases) {
      const response = await httpGet(url(target));
      assert.equal(response.status, 403, target);
      assert.match(response.body.toString(), reason);
      assert.equal(response.headers['content-type'], 'text/plain; charset=utf-8');
    }
  });

  it('answers 404 for missing files and folders (no listing), 405 for other methods', async () => {
    assert.equal((await httpGet(url(signedTarget('/missing.jar')))).status, 404);
    const folder = await httpGet(url(signedTarget('/sub')));
    assert.equal(folder.status, 404);
    assert.doesNotMatch(folder.body.toString(), /inner/);
    const post = await httpGet(url(signedTarget('/app.jar')), { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });

  it('never serves anything outside the folder, whatever the encoding, even with a valid signature', async () => {
    const attempts = [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/secret.txt',
      '/.%2e/secret.txt',
      '/sub/../../secret.txt',
      '/sub/%2e%2e/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
      '/sub%2f..%2f..%2fsecret.txt',
      '/%252e%252e/secret.txt',
      '//secret.txt',
      `/${encodeURIComponent(join(tmp.path, 'secret.txt'))}`,
      '/out-link.txt',
      '/sub/relative-out.txt',
      '/out-dir/app.jar',
      '/.hidden',
      '/app.jar%00',
      '/%00/../secret.txt',
    ];
    for (const path of attempts) {
      const response = await rawGet(server.origin, signedTarget(path));
      const status = statusOf(response.raw);
      assert.ok(status === 404 || status === 400, `${path} answered ${status}`);
      assert.doesNotMatch(response.raw.toString('latin1'), new RegExp(outsideSecret), path);
    }
    // Positive controls: the same machinery does serve what is inside.
    for (const path of ['/inside-link.jar', '/sub/inner.jar']) {
      assert.equal(statusOf((await rawGet(server.origin, signedTarget(path))).raw), 200, path);
    }
  });

  it('logs every request without its query string', async () => {
    const target = signedTarget('/app.jar');
    await httpGet(url(target), { headers: { range: 'bytes=0-0' } });
    const signature = new URLSearchParams(target.split('?')[1]).get(queryParameter.signature) ?? '';
    // The event is written when the server side of the response closes, just after the client's end.
    const [event] = await log.requestsLogged((event) => event.range === 'bytes=0-0');
    assert.deepEqual(
      [event?.method, event?.path, event?.status, event?.bytes, event?.keyId, event?.complete],
      ['GET', '/app.jar', 206, 1, key.id, true],
    );
    const requests = log.requests().length;
    assert.ok(requests >= 20, `only ${requests} access-log events`);
    const all = log.lines.join('');
    assert.ok(!all.includes(signature), 'a signature reached the access log');
    assert.doesNotMatch(all, /rl-signature|rl-expires=/);
  });
});

describe('the artifact server with odd files', () => {
  it('answers 404 at once for a FIFO, and breaks a response whose file shrinks under it', async () => {
    await using tmp = await makeTempDir('artifact-server-');
    execFileSync('mkfifo', [join(tmp.path, 'pipe.jar')]);
    await writeFile(join(tmp.path, 'app.jar'), artifact);
    const server = await pacedServer(tmp.path, 256 * 1024);
    try {
      // Without O_NONBLOCK the open would wait for a writer, and this request would hang.
      assert.equal((await httpGet(`${server.origin}${signedTarget('/pipe.jar')}`)).status, 404);
      // Cut the file once its first bytes have arrived, with most of it still to be sent.
      let truncated: Promise<void> | undefined;
      const response = await httpGet(`${server.origin}${signedTarget('/app.jar')}`, {
        onFirstBytes: () => {
          truncated = truncate(join(tmp.path, 'app.jar'), 1024);
        },
      });
      await truncated;
      assert.equal(response.status, 200);
      assert.ok(response.body.length < artifact.length, 'the body cannot be whole');
      assert.ok(
        response.error !== undefined,
        'the client sees the response break, not a clean end',
      );
    } finally {
      await server.close(0);
    }
  });
});

describe('the artifact server under load and at shutdown', () => {
  it('serves byte-exact under a per-connection cap, and finishes requests in flight when closed', async () => {
    await using tmp = await makeTempDir('artifact-server-');
    await writeFile(join(tmp.path, 'app.jar'), artifact);
    const server = await pacedServer(tmp.path, 512 * 1024);
    // 256 KiB at 512 KiB/s takes about half a second: close once it is under way.
    let closed: Promise<void> | undefined;
    const response = await httpGet(`${server.origin}${signedTarget('/app.jar')}`, {
      onFirstBytes: () => {
        closed = server.close(10_000);
      },
    });
    assert.ok(closed, 'the server was closed while the body was on its way');
    await closed;
    assert.equal(response.status, 200);
    assert.equal(response.error, undefined);
    assert.ok(response.body.equals(artifact));
    await assert.rejects(httpGet(`${server.origin}${signedTarget('/app.jar')}`), /ECONNREFUSED/);
  });
});
