import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePublicKeys } from '../../../src/config/public-keys.ts';
import {
  checkImageSignature,
  parseSimpleSigningPayload,
} from '../../../src/verify/signature/image-signature.ts';
import { digestOf } from '../../helpers/oci-documents.ts';
import { cosignKeyPair, signPayload, simpleSigningPayload } from '../../helpers/registry/cosign.ts';
import { refusal } from '../../helpers/signers.ts';

const digest = digestOf('image');
const where = 'the tag oci://registry.example/team/app:sha256-x.sig, signature 1 of 1';
const ecdsa = cosignKeyPair();
const ed25519 = cosignKeyPair('ed25519');
const stranger = cosignKeyPair();
const keysOf = (...keys: { publicKeyPem: string }[]) =>
  parsePublicKeys(keys.map((key) => key.publicKeyPem).join('\n'), 'ARTIFACT_PUBLIC_KEY');

describe('parseSimpleSigningPayload', () => {
  it("reads the digest of cosign's payload, whatever else it holds", () => {
    const payload = simpleSigningPayload(digest, 'registry.example/team/app');
    assert.deepEqual(parseSimpleSigningPayload(payload, where), { manifestDigest: digest });
    const annotated = Buffer.from(
      JSON.stringify({
        critical: {
          identity: { 'docker-reference': 'elsewhere.example/copy' },
          image: { 'docker-manifest-digest': digest },
          type: 'cosign container image signature',
        },
        optional: { creator: 'ci', timestamp: 1700000000 },
      }),
    );
    assert.equal(parseSimpleSigningPayload(annotated, where).manifestDigest, digest);
  });

  it('refuses what is not JSON, another type, or no sha256 digest, saying where', () => {
    for (const [payload, problem] of [
      [Buffer.from('not json'), /is not valid JSON/],
      [Buffer.from('[]'), /has critical\.type null/],
      [simpleSigningPayload(digest, 'r/a', 'atomic container signature'), /critical\.type "atomic/],
      [
        simpleSigningPayload('sha512:abcd', 'r/a'),
        /no critical\.image\["docker-manifest-digest"\]/,
      ],
      [simpleSigningPayload(digest.toUpperCase(), 'r/a'), /docker-manifest-digest/],
    ] as const) {
      const { message, details } = refusal(() => parseSimpleSigningPayload(payload, where));
      assert.match(message, problem);
      assert.ok(message.includes(where), message);
      assert.equal(details.reason, 'signature-unparseable');
      assert.equal(details.signatureForm, 'cosign image signature');
    }
  });
});

describe('checkImageSignature', () => {
  const payload = simpleSigningPayload(digest, 'registry.example/team/app');

  it('passes a payload signed by any key of the set, ECDSA P-256 or Ed25519, naming it', () => {
    for (const key of [ecdsa, ed25519]) {
      const verdict = checkImageSignature(
        keysOf(stranger, ecdsa, ed25519),
        { payload, signatureBase64: signPayload(key, payload), where },
        [digest],
      );
      assert.deepEqual(verdict, {
        keyId: key.id,
        form: 'cosign image signature',
        manifestDigest: digest,
      });
    }
  });

  it('accepts the digest of the index or of the platform manifest', () => {
    const platform = digestOf('platform');
    const signed = simpleSigningPayload(platform, 'r/a');
    const verdict = checkImageSignature(
      keysOf(ecdsa),
      { payload: signed, signatureBase64: signPayload(ecdsa, signed), where },
      [digest, platform],
    );
    assert.equal(verdict.manifestDigest, platform);
  });

  it('refuses a payload for another digest, naming both, once the signature is good', () => {
    const { message, details } = refusal(() =>
      checkImageSignature(
        keysOf(ecdsa),
        { payload, signatureBase64: signPayload(ecdsa, payload), where },
        [digestOf('other')],
      ),
    );
    assert.equal(details.reason, 'signature-other-digest');
    assert.ok(message.includes(digest) && message.includes(digestOf('other')), message);
    assert.deepEqual(details.signatureKeyIds, [ecdsa.id]);
  });

  it('refuses another key, a changed payload, a bad annotation, and a key of the wrong kind', () => {
    const signature = signPayload(ecdsa, payload);
    const changed = Buffer.from(payload);
    changed[changed.length - 3] = 0x20;
    const cases = [
      [keysOf(stranger), payload, signature, 'signature-mismatch', stranger.id],
      [keysOf(ecdsa), changed, signature, 'signature-mismatch', ecdsa.id],
      [keysOf(ecdsa), payload, '!!not base64!!', 'signature-unparseable', undefined],
      [
        keysOf(ecdsa),
        payload,
        Buffer.alloc(10).toString('base64'),
        'signature-unparseable',
        undefined,
      ],
      [keysOf(ed25519), payload, signature, 'signature-no-fitting-key', ed25519.id],
    ] as const;
    for (const [keys, bytes, signatureBase64, reason, keyId] of cases) {
      const { message, details } = refusal(() =>
        checkImageSignature(keys, { payload: bytes, signatureBase64, where }, [digest]),
      );
      assert.equal(details.reason, reason, message);
      assert.match(message, /cosign image signature/);
      if (keyId !== undefined) assert.ok(message.includes(keyId), message);
    }
  });
});
