import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import {
  createHash,
  createSign,
  generateKeyPairSync,
  randomBytes,
  randomFillSync,
  sign,
} from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { parsePublicKeys } from '../../../src/config/public-keys.ts';
import { releaseChunks } from '../../../src/download/http/release-chunks.ts';
import { runPasses } from '../../../src/verify/signature/passes.ts';
import { createSignatureCheck } from '../../../src/verify/signature/verifier.ts';
import { defaultWholeMessageLimitBytes } from '../../../src/verify/signature/whole-message.ts';
import {
  feed,
  type MinisignKeyPair,
  minisignSign,
  type OpensslKeyPair,
  opensslSign,
  refusal,
  signingFixture,
} from '../../helpers/signers.ts';
import type { TempDir } from '../../helpers/tmp.ts';

const data = randomBytes(100_000);
let tmp: TempDir;
let minisign: MinisignKeyPair;
let ecdsa: OpensslKeyPair;
let file: string;
before(async () => {
  ({ tmp, minisign, ecdsa, file } = await signingFixture('signature-verifier-', data));
});
after(() => tmp.cleanup());

function keys() {
  return parsePublicKeys(`${minisign.publicKeyText}\n${ecdsa.publicKeyPem}`, 'ARTIFACT_PUBLIC_KEY');
}

describe('createSignatureCheck', () => {
  it('tells minisign, a cosign bundle and a cosign blob signature apart, as text or bytes', async () => {
    const minisig = await minisignSign(minisign, file);
    const blob = (await opensslSign(ecdsa, file)).toString('base64');
    const bundle = JSON.stringify({ base64Signature: blob });
    const options = { expectedSizeBytes: data.length };
    for (const [signature, form, keyId] of [
      [minisig, 'minisign ED', minisign.id],
      [minisig.toString('utf8'), 'minisign ED', minisign.id],
      [` \n${bundle}\n`, 'cosign bundle', ecdsa.fingerprint],
      [new TextEncoder().encode(blob), 'cosign blob', ecdsa.fingerprint],
    ] as const) {
      const check = createSignatureCheck(keys(), signature, options);
      assert.equal(check.form, form);
      assert.equal(feed(check, data).keyId, keyId);
    }
  });

  it('refuses an empty signature', () => {
    for (const empty of ['', ' \n\r\n', new Uint8Array()]) {
      assert.equal(
        refusal(() => createSignatureCheck(keys(), empty, { expectedSizeBytes: 1 })).details.reason,
        'signature-empty',
      );
    }
  });

  it('holds at most 16 MiB for a legacy signature unless told otherwise', async () => {
    const minisig = await minisignSign(minisign, file, { legacy: true });
    const expectedSizeBytes = defaultWholeMessageLimitBytes + 1;
    assert.equal(
      refusal(() => createSignatureCheck(keys(), minisig, { expectedSizeBytes })).details.reason,
      'signature-too-large-to-buffer',
    );
    const allowed = { expectedSizeBytes, wholeMessageLimitBytes: expectedSizeBytes };
    assert.equal(
      createSignatureCheck(keys(), minisig, allowed).work.bufferedBytes,
      expectedSizeBytes,
    );
  });

  it('checks 256 MiB in streamed chunks without its memory growing with the file', () => {
    const sizeBytes = 256 * 1024 * 1024;
    const chunkBytes = 64 * 1024;
    const pattern = randomFillSync(Buffer.alloc(1024 * 1024));
    // A fresh chunk each time, as each socket read brings one; chunk i is never
    // the same bytes as chunk j, so a check that dropped or reused one fails.
    const chunkAt = (index: number) => {
      const chunk = Buffer.allocUnsafeSlow(chunkBytes);
      pattern.copy(chunk, 0, (index * chunkBytes) % pattern.length);
      chunk.writeUInt32BE(index, 0);
      return chunk;
    };
    const chunkCount = sizeBytes / chunkBytes;

    // The publisher's side: a minisign ED signature (by node:crypto, in
    // minisign's format) and an ECDSA P-256 one, both over the same stream.
    const ed25519 = generateKeyPairSync('ed25519');
    const ecKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const blake2b = createHash('blake2b512');
    const ecdsaSigner = createSign('sha256');
    for (let index = 0; index < chunkCount; index += 1) {
      const chunk = chunkAt(index);
      blake2b.update(chunk);
      ecdsaSigner.update(chunk);
    }
    const keyNumber = randomBytes(8);
    const rawKey = Buffer.from(ed25519.publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
    const fileSignature = sign(null, blake2b.digest(), ed25519.privateKey);
    const comment = Buffer.from('streamed');
    const globalSignature = sign(null, Buffer.concat([fileSignature, comment]), ed25519.privateKey);
    const minisig = [
      'untrusted comment: made by node:crypto',
      Buffer.concat([Buffer.from('ED'), keyNumber, fileSignature]).toString('base64'),
      `trusted comment: ${comment}`,
      globalSignature.toString('base64'),
    ].join('\n');
    const keySet = parsePublicKeys(
      [
        Buffer.concat([Buffer.from('Ed'), keyNumber, rawKey]).toString('base64'),
        ecKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      ].join('\n'),
      'ARTIFACT_PUBLIC_KEY',
    );
    const options = { expectedSizeBytes: sizeBytes };
    const checks = [
      createSignatureCheck(keySet, minisig, options),
      createSignatureCheck(keySet, ecdsaSigner.sign(ecKeys.privateKey).toString('base64'), options),
    ];
    const runners = checks.map((check) => runPasses(crypto, check.passes));

    // The loader's side: each chunk goes to both checks, then is freed, as
    // the download does once a batch is written and hashed.
    const baselineRssBytes = process.memoryUsage.rss();
    let peakRssBytes = baselineRssBytes;
    for (let index = 0; index < chunkCount; index += 1) {
      const chunk = chunkAt(index);
      for (const runner of runners) runner.update(chunk);
      releaseChunks([chunk]);
      if (index % 256 === 0) peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
    }
    assert.deepEqual(
      checks.map((check, index) => check.verdict(runners[index]?.results() ?? []).form),
      ['minisign ED', 'cosign blob'],
    );
    const growthMiB = (peakRssBytes - baselineRssBytes) / 1024 / 1024;
    assert.ok(growthMiB < 32, `RSS grew by ${growthMiB.toFixed(1)} MiB while checking 256 MiB`);
  });
});
