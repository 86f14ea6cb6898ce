// End-to-end tests of issue 22 (publisher signatures, the URL form): the built loader
// against a fault-injecting server on loopback that serves the artifact and, on a route of
// its own, the signature. Real minisign keys and signatures (minisign -G -W, -S), cosign's
// formats made with openssl; every tamper case; the signature URL's secret never shown.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { recordPathFor } from '../../src/artifact/verification-record.ts';
import { batchBytes } from '../../src/verify/signature/worker-reader.ts';
import { eventsNamed, finalEvent, firstEventNamed } from '../helpers/events.ts';
import {
  type ArtifactServer,
  fakeSignature,
  startArtifactServer,
} from '../helpers/fault-server.ts';
import { type EnvOverrides, fastLoaderEnv } from '../helpers/loader-env.ts';
import { assertNothingPublished, assertPublished } from '../helpers/published.ts';
import { assertNoSecret, type LoaderRun, runLoader } from '../helpers/run-loader.ts';
import {
  cosignBundle,
  type MinisignKeyPair,
  minisignKeyPair,
  minisignSign,
  type OpensslKeyPair,
  opensslP256KeyPair,
  opensslSign,
  writeBytes,
} from '../helpers/signers.ts';
import { makeTempDir, sha256Hex, type TempDir } from '../helpers/tmp.ts';

/** The signature URL's own secret, and one a redirect of it carries: neither may ever be shown. */
const signatureSecret = 'SIGURLSECRET0042';
const redirectSecret = 'REDIRECTSECRET77';
const signaturePath = '/artifacts/app.jar.minisig';

// Over one of the reader's batches, not a multiple of it: it hands over full batches and a part.
const data = randomBytes(3 * 1024 * 1024 + 4321);
let keys: TempDir;
let publisher: MinisignKeyPair;
let rotated: MinisignKeyPair;
let ecdsa: OpensslKeyPair;
let file: string;
let signed: Buffer;

before(async () => {
  keys = await makeTempDir('signature-e2e-keys-');
  [publisher, rotated, ecdsa] = await Promise.all([
    minisignKeyPair(keys.path, 'publisher'),
    minisignKeyPair(keys.path, 'rotated'),
    opensslP256KeyPair(keys.path, 'cosign'),
  ]);
  file = await writeBytes(keys.path, 'app.jar', data);
  signed = await minisignSign(publisher, file);
});
after(() => keys.cleanup());

/** The key line of a minisign .pub file, without its comment. */
const bareKey = (keyPair: MinisignKeyPair) => keyPair.publicKeyText.split('\n')[1] ?? '';

function assertExit(run: LoaderRun, code: number): void {
  assert.equal(run.code, code, `exit ${run.code}, wanted ${code}:\n${run.stdout}\n${run.stderr}`);
}

describe('publisher signatures (issue 22), end to end', () => {
  let server: ArtifactServer;
  let dir: TempDir;
  let target: string;
  let terminationLog: string;

  beforeEach(async () => {
    server = await startArtifactServer();
    server.setArtifact(data);
    dir = await makeTempDir('signature-e2e-');
    target = join(dir.path, 'jars', 'app.jar');
    terminationLog = join(dir.path, 'termination-log');
    await writeFile(terminationLog, '');
  });

  afterEach(async () => {
    await server.close();
    await dir.cleanup();
  });

  /** The signature URL, with its secret. */
  const signatureUrl = () =>
    server.url(`${signaturePath}?X-Amz-Signature=${signatureSecret}&X-Amz-Expires=300`);

  /** Serves `body` as the signature. */
  function serveSignature(body: Buffer | string): void {
    server.route(signaturePath, (_req, res) => answer(res, 200, body));
  }

  /** Runs the loader with the publisher's key and the signature URL; no secret may show anywhere. */
  async function load(env: EnvOverrides = {}): Promise<LoaderRun> {
    const run = await runLoader({
      timeoutMs: 20_000,
      env: fastLoaderEnv(
        { server, target, terminationLog },
        {
          ARTIFACT_PUBLIC_KEY: publisher.publicKeyText,
          ARTIFACT_SIGNATURE_URL: signatureUrl(),
          ...env,
        },
      ),
    });
    const secrets = [fakeSignature, signatureSecret, redirectSecret];
    assertNoSecret(run, secrets);
    const termination = await readFile(terminationLog, 'utf8');
    for (const secret of secrets) assert.ok(!termination.includes(secret), termination);
    return run;
  }

  const artifactRequests = () =>
    server.requests.filter((request) => !request.path.startsWith(signaturePath));

  async function record(): Promise<Record<string, unknown>> {
    return JSON.parse(await readFile(recordPathFor(target), 'utf8'));
  }

  describe('a signature that verifies', () => {
    it('minisign ED: the signature is fetched first, and done, the termination line and the record name the signer', async () => {
      serveSignature(signed);
      const run = await load();
      assertExit(run, 0);
      await assertPublished(target, data);
      assert.ok(server.requests[0]?.path.startsWith(signaturePath), 'the signature comes first');
      const announced = firstEventNamed(run, 'signature');
      assert.equal(announced.signatureForm, 'minisign ED');
      assert.deepEqual(announced.signatureKeyIds, [publisher.id]);
      assert.equal(announced.checkedOn, 'main', 'too small to pay for a worker thread');
      const done = finalEvent(run);
      assert.equal(done.signedBy, publisher.id);
      assert.match(String(done.msg), new RegExp(`signed by key ${publisher.id}`));
      assert.match(await readFile(terminationLog, 'utf8'), new RegExp(`signedBy=${publisher.id}`));
      assert.equal((await record()).signedBy, publisher.id);
    });

    it('minisign legacy Ed, the key a bare line in a file (ARTIFACT_PUBLIC_KEY_FILE)', async () => {
      serveSignature(await minisignSign(publisher, file, { legacy: true }));
      const keyFile = join(dir.path, 'minisign.pub');
      await writeFile(keyFile, `${bareKey(publisher)}\n`);
      const run = await load({ ARTIFACT_PUBLIC_KEY: undefined, ARTIFACT_PUBLIC_KEY_FILE: keyFile });
      assertExit(run, 0);
      assert.equal(firstEventNamed(run, 'signature').signatureForm, 'minisign Ed');
      assert.equal(finalEvent(run).signedBy, publisher.id);
    });

    it('by any one of several keys: a rotation', async () => {
      serveSignature(await minisignSign(rotated, file));
      const run = await load({
        ARTIFACT_PUBLIC_KEY: `${publisher.publicKeyText}\n${rotated.publicKeyText}`,
      });
      assertExit(run, 0);
      assert.equal(finalEvent(run).signedBy, rotated.id);
    });

    it('cosign sign-blob output: base64 ASN.1 ECDSA P-256 over SHA-256', async () => {
      serveSignature(`${(await opensslSign(ecdsa, file)).toString('base64')}\n`);
      const run = await load({ ARTIFACT_PUBLIC_KEY: ecdsa.publicKeyPem });
      assertExit(run, 0);
      assert.equal(firstEventNamed(run, 'signature').signatureForm, 'cosign blob');
      assert.equal(finalEvent(run).signedBy, ecdsa.fingerprint);
    });

    it("cosign's bundle JSON carrying the message signature and our public key", async () => {
      serveSignature(cosignBundle(await opensslSign(ecdsa, file), ecdsa.publicKeyPem));
      const run = await load({ ARTIFACT_PUBLIC_KEY: ecdsa.publicKeyPem });
      assertExit(run, 0);
      assert.equal(firstEventNamed(run, 'signature').signatureForm, 'cosign bundle');
      assert.equal(finalEvent(run).signedBy, ecdsa.fingerprint);
    });

    it('when the download starts over: the check forgets the bytes it had read', async () => {
      // No validator, so the bytes kept after the reset cannot be resumed: the file starts
      // over, after a batch of the old bytes went to the worker.
      server.setArtifact(data, { etag: null, lastModified: null });
      server.schedule({ kind: 'reset', afterBytes: batchBytes + 100 });
      serveSignature(signed);
      const run = await load();
      assertExit(run, 0);
      assert.equal(eventsNamed(run, 'restart').length, 1);
      assert.equal(finalEvent(run).signedBy, publisher.id);
      await assertPublished(target, data);
    });
  });

  describe('a signature that does not verify: exit 6, nothing published', () => {
    /** Exit 6 with reason `reason`, naming the key and the form, nothing published. */
    async function assertRefused(run: LoaderRun, reason: string, keyId: string): Promise<void> {
      assertExit(run, 6);
      const failed = finalEvent(run);
      assert.equal(failed.code, 'ERR_INTEGRITY');
      assert.equal(failed.reason, reason);
      assert.match(String(failed.msg), new RegExp(keyId));
      assert.match(String(failed.msg), /minisign E[Dd]/);
      assert.match(
        await readFile(terminationLog, 'utf8'),
        /^exit 6 ERR_INTEGRITY: signature check failed/,
      );
      await assertNothingPublished(target);
    }

    it('one byte flipped, same size', async () => {
      const tampered = Buffer.from(data);
      tampered[1000] = (tampered[1000] ?? 0) ^ 0x01;
      server.setArtifact(tampered);
      serveSignature(signed);
      const run = await load();
      await assertRefused(run, 'signature-mismatch', publisher.id);
      assert.equal(finalEvent(run).sha256, sha256Hex(tampered), 'the refused bytes, for audit');
    });

    it('a signature of another file', async () => {
      const other = await writeBytes(dir.path, 'other.jar', randomBytes(1000));
      serveSignature(await minisignSign(publisher, other));
      await assertRefused(await load(), 'signature-mismatch', publisher.id);
    });

    it('the wrong key: refused before the artifact is asked for', async () => {
      serveSignature(await minisignSign(rotated, file));
      const run = await load();
      await assertRefused(run, 'signature-unknown-key', rotated.id);
      assert.deepEqual(artifactRequests(), []);
    });

    it('a truncated signature: refused before the artifact is asked for', async () => {
      serveSignature(signed.subarray(0, signed.length - 40));
      const run = await load();
      assertExit(run, 6);
      assert.equal(finalEvent(run).reason, 'signature-unparseable');
      assert.deepEqual(artifactRequests(), []);
      await assertNothingPublished(target);
    });

    it('an answer over 64 KiB is no signature', async () => {
      serveSignature(Buffer.concat([signed, Buffer.alloc(64 * 1024)]));
      const run = await load();
      assertExit(run, 6);
      assert.match(String(finalEvent(run).msg), /not a signature/);
      assert.deepEqual(artifactRequests(), []);
    });
  });

  describe('a signature that cannot be fetched: the fetch codes, the artifact never asked for', () => {
    it('404: exit 3 saying there is no signature', async () => {
      server.route(signaturePath, (_req, res) => answer(res, 404, 'no such key'));
      const run = await load();
      assertExit(run, 3);
      assert.match(
        String(finalEvent(run).msg),
        /^no signature at http:\/\/127\.0\.0\.1:\d+\/artifacts\/app\.jar\.minisig: the server answered 404/,
      );
      assert.deepEqual(artifactRequests(), []);
      await assertNothingPublished(target);
    });

    it('a stall: retried, then exit 4 naming the signature', async () => {
      server.route(signaturePath, () => {
        // Accepted, never answered.
      });
      const run = await load({ LOADER_MAX_ATTEMPTS: '2' });
      assertExit(run, 4);
      const retry = firstEventNamed(run, 'retry');
      assert.equal(retry.fetching, 'signature');
      assert.match(
        String(finalEvent(run).msg),
        /^fetching the signature \(ARTIFACT_SIGNATURE_URL\): request to .*app\.jar\.minisig failed: no response headers within the stall timeout/,
      );
      assert.equal(finalEvent(run).attempts, 2);
      assert.deepEqual(artifactRequests(), []);
    });

    it('a refusal whose body and reason echo the URL, after a redirect: no secret shown', async () => {
      server.route(signaturePath, (_req, res) => {
        res.writeHead(302, { location: `/elsewhere.minisig?token=${redirectSecret}` }).end();
      });
      server.route('/elsewhere.minisig', (req, res) => {
        res.writeHead(403, `Denied ${redirectSecret}`, { 'content-type': 'text/plain' });
        res.end(`access denied for ${req.url} (was ${signatureSecret})`);
      });
      const run = await load();
      assertExit(run, 3);
      assert.match(
        String(finalEvent(run).msg),
        /^fetching the signature \(ARTIFACT_SIGNATURE_URL\): server rejected the request with 403/,
      );
    });
  });

  describe('a restart', () => {
    it('keeps the file while its signer is still given, and downloads again once it is not', async () => {
      serveSignature(signed);
      assertExit(await load(), 0);

      // The same key, among others: the record is the proof; the server confirms the file.
      const kept = await load({
        ARTIFACT_PUBLIC_KEY: `${rotated.publicKeyText}\n${publisher.publicKeyText}`,
      });
      assertExit(kept, 0);
      assert.equal(finalEvent(kept).outcome, 'not-modified');
      assert.equal(finalEvent(kept).signedBy, publisher.id);

      // The key set changed: the old verification no longer counts.
      serveSignature(await minisignSign(rotated, file));
      const before = artifactRequests().length;
      const again = await load({ ARTIFACT_PUBLIC_KEY: rotated.publicKeyText });
      assertExit(again, 0);
      const plan = firstEventNamed(again, 'plan');
      assert.match(
        String(plan.reason),
        new RegExp(`signed by key ${publisher.id}, which is no longer among the keys given`),
      );
      assert.equal(finalEvent(again).outcome, 'downloaded');
      assert.equal(finalEvent(again).signedBy, rotated.id);
      assert.equal(artifactRequests().length, before + 1);
      assert.equal((await record()).signedBy, rotated.id);
    });

    it('does not keep a file verified without a signature once keys are given, not even with ARTIFACT_SHA256', async () => {
      const unsigned = await load({
        ARTIFACT_PUBLIC_KEY: undefined,
        ARTIFACT_SIGNATURE_URL: undefined,
      });
      assertExit(unsigned, 0);
      assert.equal((await record()).signedBy, undefined);
      serveSignature(signed);
      const run = await load({ ARTIFACT_SHA256: sha256Hex(data) });
      assertExit(run, 0);
      assert.match(
        String(firstEventNamed(run, 'plan').reason),
        /verified without a publisher signature/,
      );
      assert.equal(finalEvent(run).outcome, 'downloaded');
      assert.equal(finalEvent(run).signedBy, publisher.id);
      // And now the digest and the record together keep it, with no request at all.
      const requests = server.requests.length;
      const skipped = await load({ ARTIFACT_SHA256: sha256Hex(data) });
      assert.equal(finalEvent(skipped).outcome, 'already-present');
      assert.equal(finalEvent(skipped).signedBy, publisher.id);
      assert.equal(server.requests.length, requests);
    });
  });
});

describe('publisher signatures of a large artifact, on a worker thread where there are two CPUs', () => {
  for (const connections of [1, 4]) {
    it(`verifies 40 MiB fetched on ${connections} connection(s)`, async () => {
      await using dir = await makeTempDir('signature-large-');
      await using server = await startArtifactServer();
      const large = randomBytes(40 * 1024 * 1024 + 17);
      server.setArtifact(large);
      const signature = await minisignSign(
        publisher,
        await writeBytes(dir.path, 'large.jar', large),
      );
      server.route(signaturePath, (_req, res) => answer(res, 200, signature));
      const target = join(dir.path, 'jars', 'app.jar');
      const run = await runLoader({
        env: fastLoaderEnv(
          { server, target },
          {
            ARTIFACT_PUBLIC_KEY: publisher.publicKeyText,
            ARTIFACT_SIGNATURE_URL: server.url(`${signaturePath}?sig=${signatureSecret}`),
            LOADER_CONNECTIONS: String(connections),
            LOADER_PARALLEL_THRESHOLD_BYTES: String(16 * 1024 * 1024),
          },
        ),
      });
      assertExit(run, 0);
      const twoCpus = availableParallelism() >= 2;
      assert.equal(firstEventNamed(run, 'signature').checkedOn, twoCpus ? 'worker' : 'main');
      // In parts, the digest (and the check) read the file back in order.
      if (connections > 1) assert.ok(Number(firstEventNamed(run, 'parts').parts) >= 2);
      assert.equal(finalEvent(run).signedBy, publisher.id);
      assertNoSecret(run, [signatureSecret]);
      await assertPublished(target, large);
    });
  }
});

function answer(res: ServerResponse, status: number, body: Buffer | string): void {
  res.writeHead(status, {
    'content-type': status === 200 ? 'application/octet-stream' : 'text/plain',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
