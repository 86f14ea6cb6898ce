import assert from 'node:assert/strict';
import {
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { type KeySet, parsePublicKeys } from '../../../src/config/public-keys.ts';
import { cosignCheck, parseCosign } from '../../../src/verify/signature/cosign.ts';
import {
  cosignBundle,
  feed,
  minisignKeyPair,
  type OpensslKeyPair,
  opensslCertificate,
  opensslP256KeyPair,
  opensslSign,
  refusal,
  sigstoreBundle,
  spkiSha256,
  writeBytes,
} from '../../helpers/signers.ts';
import { makeTempDir, type TempDir } from '../../helpers/tmp.ts';

const fixtures = new URL('../../fixtures/signature/', import.meta.url);
const limitBytes = 1024 * 1024;
const data = randomBytes(200_000);

let tmp: TempDir;
let publisher: OpensslKeyPair;
let previous: OpensslKeyPair;
let file: string;
let signature: Buffer;
before(async () => {
  tmp = await makeTempDir('signature-cosign-');
  [publisher, previous] = await Promise.all([
    opensslP256KeyPair(tmp.path, 'publisher'),
    opensslP256KeyPair(tmp.path, 'previous'),
  ]);
  file = await writeBytes(tmp.path, 'app.jar', data);
  signature = await opensslSign(publisher, file);
});
after(() => tmp.cleanup());

function keysOf(...pems: string[]): KeySet {
  return parsePublicKeys(pems.join('\n'), 'ARTIFACT_PUBLIC_KEY');
}

function prepare(keySet: KeySet, text: string | Buffer, bytes = data, limit = limitBytes) {
  return cosignCheck(keySet, parseCosign(Buffer.from(text)), bytes.length, limit);
}

function check(keySet: KeySet, text: string | Buffer, bytes = data) {
  return feed(prepare(keySet, text, bytes), bytes);
}

const pemOf = (key: { export(options: object): string | Buffer }) =>
  key.export({ type: 'spki', format: 'pem' }).toString();

describe('cosign blob signatures', () => {
  it('verifies openssl dgst -sha256 -sign output as base64, wrapped base64 and raw DER', () => {
    const keySet = keysOf(publisher.publicKeyPem);
    const base64 = signature.toString('base64');
    for (const text of [`${base64}\n`, `${base64.replace(/.{76}/g, '$&\n')}\n`, signature]) {
      assert.deepEqual(check(keySet, text), { keyId: publisher.fingerprint, form: 'cosign blob' });
    }
  });

  it('verifies a node:crypto ECDSA P-256 signature', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const made = sign('sha256', data, privateKey).toString('base64');
    assert.equal(check(keysOf(pemOf(publicKey)), made).form, 'cosign blob');
  });

  it('refuses a changed byte, another file and the wrong key, naming the keys tried', async () => {
    const base64 = signature.toString('base64');
    const tampered = Buffer.from(data);
    tampered[0] = (tampered[0] ?? 0) ^ 0x80;
    const mismatch = refusal(() => check(keysOf(publisher.publicKeyPem), base64, tampered));
    assert.equal(
      mismatch.message,
      `signature check failed: the cosign blob signature does not match the downloaded file with ECDSA P-256 key ${publisher.fingerprint}`,
    );
    assert.deepEqual(mismatch.details, {
      reason: 'signature-mismatch',
      signatureForm: 'cosign blob',
      signatureKeyIds: [publisher.fingerprint],
    });
    const other = await opensslSign(publisher, await writeBytes(tmp.path, 'b', randomBytes(10)));
    assert.match(refusal(() => check(keysOf(publisher.publicKeyPem), other)).message, /not match/);
    const wrongKey = refusal(() => check(keysOf(previous.publicKeyPem), base64));
    assert.match(wrongKey.message, new RegExp(`with ECDSA P-256 key ${previous.fingerprint}$`));
  });

  it('tries every ECDSA key, one SHA-256 pass each, and names the one that signed (rotation)', () => {
    const streaming = prepare(keysOf(previous.publicKeyPem, publisher.publicKeyPem), signature);
    assert.deepEqual(streaming.work, { hashPasses: ['sha256', 'sha256'], bufferedBytes: 0 });
    assert.deepEqual(streaming.candidateKeyIds, [previous.fingerprint, publisher.fingerprint]);
    assert.equal(feed(streaming, data).keyId, publisher.fingerprint);
  });

  it('verifies an Ed25519 key by holding the file, and refuses a file above the limit first', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const keySet = keysOf(pemOf(publicKey));
    const made = sign(null, data, privateKey);
    const streaming = prepare(keySet, made.toString('base64'));
    assert.deepEqual(streaming.work, { hashPasses: [], bufferedBytes: data.length });
    assert.equal(feed(streaming, data).keyId, `sha256:${spkiSha256(publicKey).toString('hex')}`);
    const tooLarge = refusal(() => prepare(keySet, made.toString('base64'), data, data.length - 1));
    assert.equal(tooLarge.details.reason, 'signature-too-large-to-buffer');
    assert.match(tooLarge.message, /sign with an ECDSA P-256 key/);
    const tampered = Buffer.from(data);
    tampered[9] = (tampered[9] ?? 0) ^ 1;
    assert.match(
      refusal(() => check(keySet, made.toString('base64'), tampered)).message,
      /with Ed25519 key sha256:[0-9a-f]{64}; cosign signs with Ed25519ph when it uploads/,
    );
  });

  it('refuses before any byte when no key given fits the signature', async () => {
    const minisignOnly = (await minisignKeyPair(tmp.path, 'only')).publicKeyText;
    const noFit = refusal(() => prepare(keysOf(minisignOnly), signature.toString('base64')));
    assert.match(
      noFit.message,
      /the cosign blob signature needs an ECDSA P-256 key, and none of the keys given is one: ARTIFACT_PUBLIC_KEY holds minisign key [0-9A-F]{16}/,
    );
    assert.equal(noFit.details.reason, 'signature-no-fitting-key');
  });

  it('refuses text that is not a signature', () => {
    const keySet = keysOf(publisher.publicKeyPem);
    assert.match(refusal(() => prepare(keySet, 'not base64!')).message, /is not base64/);
    assert.match(
      refusal(() => prepare(keySet, randomBytes(20).toString('base64'))).message,
      /holds 20 signature bytes: neither an ECDSA signature \(ASN\.1 DER\) nor an Ed25519 one/,
    );
  });
});

describe('cosign bundles', () => {
  it("verifies cosign's --bundle JSON and uses the key it names (one SHA-256 pass)", () => {
    const bundle = cosignBundle(signature, publisher.publicKeyPem);
    const streaming = prepare(keysOf(previous.publicKeyPem, publisher.publicKeyPem), bundle);
    assert.deepEqual(streaming.candidateKeyIds, [publisher.fingerprint]);
    assert.deepEqual(feed(streaming, data), {
      keyId: publisher.fingerprint,
      form: 'cosign bundle',
    });
    // Without a cert field every key is tried.
    assert.equal(
      check(keysOf(previous.publicKeyPem, publisher.publicKeyPem), cosignBundle(signature)).keyId,
      publisher.fingerprint,
    );
  });

  it('refuses a bundle naming a key not given, before any byte', () => {
    const bundle = cosignBundle(signature, publisher.publicKeyPem);
    const { message, details } = refusal(() => prepare(keysOf(previous.publicKeyPem), bundle));
    assert.equal(
      message,
      `signature check failed: the cosign bundle is by key ${publisher.fingerprint} (its public key), which is not among the keys given: ARTIFACT_PUBLIC_KEY holds ECDSA P-256 key ${previous.fingerprint}`,
    );
    assert.equal(details.reason, 'signature-unknown-key');
  });

  it('refuses a keyless bundle (a certificate for a key not given) before any byte', async () => {
    const certificate = await opensslCertificate(publisher, tmp.path);
    const { message, details } = refusal(() =>
      prepare(keysOf(previous.publicKeyPem), cosignBundle(signature, certificate)),
    );
    assert.match(
      message,
      /^signature check failed: keyless signatures are not supported: give the publisher's public key \(the cosign bundle carries a certificate for key sha256:/,
    );
    assert.equal(details.reason, 'signature-keyless');
    // The same certificate for a key that was given: the signature is checked with it.
    const withOurKey = cosignBundle(signature, certificate);
    assert.equal(check(keysOf(publisher.publicKeyPem), withOurKey).keyId, publisher.fingerprint);
  });

  it('verifies sigstore bundles v0.1 to v0.3 with a public-key hint', () => {
    const hint = Buffer.from(publisher.fingerprint.slice('sha256:'.length), 'hex').toString(
      'base64',
    );
    for (const mediaType of [
      'application/vnd.dev.sigstore.bundle+json;version=0.1',
      'application/vnd.dev.sigstore.bundle+json;version=0.2',
      'application/vnd.dev.sigstore.bundle+json;version=0.3',
      'application/vnd.dev.sigstore.bundle.v0.3+json',
    ]) {
      const bundle = sigstoreBundle({
        signature,
        data,
        material: { publicKey: { hint } },
        mediaType,
      });
      const streaming = prepare(keysOf(previous.publicKeyPem, publisher.publicKeyPem), bundle);
      assert.deepEqual(streaming.candidateKeyIds, [publisher.fingerprint]);
      assert.equal(feed(streaming, data).keyId, publisher.fingerprint);
    }
  });

  it('refuses a sigstore bundle whose hint names a key not given, or for another file', () => {
    const previousHint = Buffer.from(previous.fingerprint.slice(7), 'hex').toString('base64');
    const bundle = sigstoreBundle({
      signature,
      data,
      material: { publicKey: { hint: previousHint } },
    });
    assert.match(
      refusal(() => prepare(keysOf(publisher.publicKeyPem), bundle)).message,
      /the cosign bundle is by key sha256:[0-9a-f]{64} \(its public-key hint\), which is not among/,
    );
    // The bundle of app.jar, checked against a different download (a hint that is no fingerprint is ignored).
    const ofAppJar = sigstoreBundle({
      signature,
      data,
      material: { publicKey: { hint: 'not a fingerprint' } },
    });
    assert.match(
      refusal(() => check(keysOf(publisher.publicKeyPem), ofAppJar, randomBytes(10))).message,
      /does not match the downloaded file with .*; the bundle is for another file \(its SHA-256 is [0-9a-f]{64}, the downloaded file's is [0-9a-f]{64}\)$/,
    );
  });

  it('refuses a keyless sigstore bundle made by sigstore-python (fixture)', async () => {
    const bundle = await readFile(new URL('sigstore-python-bundle.txt.sigstore', fixtures));
    const { message, details } = refusal(() => prepare(keysOf(publisher.publicKeyPem), bundle));
    assert.match(message, /keyless signatures are not supported: give the publisher's public key/);
    assert.deepEqual(details.signatureForm, 'cosign bundle');
  });

  it('verifies a key-based sigstore bundle from sigstore-go against its published key (fixture)', async () => {
    const bundle = await readFile(
      new URL('sigstore-go-public-key-validity.sigstore.json', fixtures),
    );
    const pem = await readFile(new URL('sigstore-go-public-key-validity.pem', fixtures), 'utf8');
    const hint = JSON.parse(bundle.toString()).verificationMaterial.publicKey.hint;
    const result = check(keysOf(previous.publicKeyPem, pem), bundle, Buffer.from('test content'));
    assert.deepEqual(result, {
      keyId: `sha256:${Buffer.from(hint, 'base64').toString('hex')}`,
      form: 'cosign bundle',
    });
    assert.equal(
      refusal(() => check(keysOf(pem), bundle, Buffer.from('test content!'))).details.reason,
      'signature-mismatch',
    );
  });

  it('uses the certificate of a sigstore bundle to pick the key', async () => {
    const certificate = new X509Certificate(await opensslCertificate(publisher, tmp.path));
    const bundle = sigstoreBundle({
      signature,
      data,
      material: { certificate: { rawBytes: certificate.raw.toString('base64') } },
    });
    assert.equal(check(keysOf(publisher.publicKeyPem), bundle).keyId, publisher.fingerprint);
    assert.equal(
      refusal(() => prepare(keysOf(previous.publicKeyPem), bundle)).details.reason,
      'signature-keyless',
    );
  });

  it('refuses JSON that is not a usable bundle, saying why', () => {
    const keySet = keysOf(publisher.publicKeyPem);
    const cases: [string, RegExp][] = [
      ['{"base64Signature": ', /is not valid JSON/],
      ['{"payload": "x"}', /neither a sigstore bundle \("mediaType"\) nor a cosign bundle/],
      [
        '{"mediaType": "application/vnd.dev.sigstore.bundle.v0.9+json"}',
        /has media type "application\/vnd\.dev\.sigstore\.bundle\.v0\.9\+json": expected a sigstore bundle v0\.1, v0\.2 or v0\.3/,
      ],
      [
        '{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "dsseEnvelope": {}}',
        /holds a DSSE envelope \(an attestation, as cosign attest-blob writes\)/,
      ],
      [
        '{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}',
        /has no base64 messageSignature\.signature/,
      ],
      [
        JSON.stringify({ base64Signature: 'AAAA', cert: 'bm90IGEgUEVN' }),
        /has a "cert" that is neither a PEM certificate nor a PEM public key/,
      ],
    ];
    for (const [text, expected] of cases) {
      const { message, details } = refusal(() => prepare(keySet, text));
      assert.match(message, expected);
      assert.equal(details.reason, 'signature-unparseable');
    }
  });

  it('keeps the key out of messages: a private key in a cert field is refused without echo', async () => {
    const privatePem = createPrivateKey(await readFile(publisher.privateKeyPath))
      .export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const { message } = refusal(() =>
      prepare(keysOf(publisher.publicKeyPem), cosignBundle(signature, privatePem)),
    );
    assert.ok(!message.includes(privatePem.split('\n')[1] ?? ''));
  });
});
