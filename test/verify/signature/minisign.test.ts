import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { parsePublicKeys } from '../../../src/config/public-keys.ts';
import { minisignCheck, parseMinisign } from '../../../src/verify/signature/minisign.ts';
import {
  feed,
  type MinisignKeyPair,
  minisignKeyPair,
  minisignSign,
  refusal,
  writeBytes,
} from '../../helpers/signers.ts';
import { makeTempDir, type TempDir } from '../../helpers/tmp.ts';

let tmp: TempDir;
let publisher: MinisignKeyPair;
let previous: MinisignKeyPair;
let stranger: MinisignKeyPair;
const data = randomBytes(300_000);
let file: string;
before(async () => {
  tmp = await makeTempDir('signature-minisign-');
  [publisher, previous, stranger] = await Promise.all([
    minisignKeyPair(tmp.path, 'publisher'),
    minisignKeyPair(tmp.path, 'previous'),
    minisignKeyPair(tmp.path, 'stranger'),
  ]);
  file = await writeBytes(tmp.path, 'app.jar', data);
});
after(() => tmp.cleanup());

const limitBytes = 1024 * 1024;

/** Parses and checks a .minisig against the given key files, and feeds it `bytes`. */
function check(minisig: Buffer, keys: MinisignKeyPair[], bytes = data, limit = limitBytes) {
  const keySet = parsePublicKeys(keys.map((key) => key.publicKeyText).join('\n'), 'KEYS');
  return feed(minisignCheck(keySet, parseMinisign(minisig), bytes.length, limit), bytes);
}

describe('minisign signatures', () => {
  it('verifies the prehashed ED form and returns the key id and trusted comment', async () => {
    const minisig = await minisignSign(publisher, file, { trustedComment: 'release 4.2 app.jar' });
    assert.equal(parseMinisign(minisig).form, 'minisign ED');
    assert.deepEqual(check(minisig, [publisher]), {
      keyId: publisher.id,
      form: 'minisign ED',
      trustedComment: 'release 4.2 app.jar',
    });
  });

  it('verifies the legacy Ed form (minisign -l) by holding the file', async () => {
    const minisig = await minisignSign(publisher, file, { legacy: true });
    const keySet = parsePublicKeys(publisher.publicKeyText, 'KEYS');
    const streaming = minisignCheck(keySet, parseMinisign(minisig), data.length, limitBytes);
    assert.deepEqual(streaming.work, { hashPasses: [], bufferedBytes: data.length });
    const result = feed(streaming, data);
    assert.equal(result.form, 'minisign Ed');
    assert.equal(result.keyId, publisher.id);
    assert.match(result.trustedComment ?? '', /^timestamp:\d+\tfile:app\.jar/);
  });

  it('refuses a legacy Ed signature of a file above the limit before any byte is read', async () => {
    const minisig = await minisignSign(publisher, file, { legacy: true });
    const keySet = parsePublicKeys(publisher.publicKeyText, 'KEYS');
    const { message, details } = refusal(() =>
      minisignCheck(keySet, parseMinisign(minisig), data.length, data.length - 1),
    );
    assert.match(message, /the minisign Ed signature covers the whole file in one piece/);
    assert.match(
      message,
      /300000 bytes \(ARTIFACT_EXPECTED_SIZE\) is more than the 299999 allowed/,
    );
    assert.match(message, /prehashed form \(without -l\)/);
    assert.equal(details.reason, 'signature-too-large-to-buffer');
  });

  it('refuses more bytes than expected for the legacy Ed form, which holds only the expected size', async () => {
    const minisig = await minisignSign(publisher, file, { legacy: true });
    const keySet = parsePublicKeys(publisher.publicKeyText, 'KEYS');
    const streaming = minisignCheck(keySet, parseMinisign(minisig), data.length - 1, limitBytes);
    assert.equal(refusal(() => feed(streaming, data)).details.reason, 'signature-mismatch');
  });

  it('refuses the file with one byte changed, in both forms, naming form and key', async () => {
    const tampered = Buffer.from(data);
    tampered[150_000] = (tampered[150_000] ?? 0) ^ 0x01;
    for (const legacy of [false, true]) {
      const minisig = await minisignSign(publisher, file, { legacy });
      const form = legacy ? 'minisign Ed' : 'minisign ED';
      const { message, details } = refusal(() => check(minisig, [publisher], tampered));
      assert.equal(
        message,
        `signature check failed: the ${form} signature by minisign key ${publisher.id} does not match the downloaded file`,
      );
      assert.deepEqual(details, {
        reason: 'signature-mismatch',
        signatureForm: form,
        signatureKeyIds: [publisher.id],
      });
    }
  });

  it('refuses the signature of another file', async () => {
    const other = await writeBytes(tmp.path, 'other.jar', randomBytes(data.length));
    const minisig = await minisignSign(publisher, other);
    assert.equal(refusal(() => check(minisig, [publisher])).details.reason, 'signature-mismatch');
  });

  it('refuses a signature by a key not given, before any byte is read, naming both', async () => {
    const minisig = await minisignSign(stranger, file);
    const keySet = parsePublicKeys(publisher.publicKeyText, 'ARTIFACT_PUBLIC_KEY');
    const { message, details } = refusal(() =>
      minisignCheck(keySet, parseMinisign(minisig), data.length, limitBytes),
    );
    assert.equal(
      message,
      `signature check failed: the minisign ED signature is by minisign key ${stranger.id}, which is not among the keys given: ARTIFACT_PUBLIC_KEY holds minisign key ${publisher.id}`,
    );
    assert.equal(details.reason, 'signature-unknown-key');
  });

  it('accepts a signature by the second of two keys (rotation)', async () => {
    const minisig = await minisignSign(publisher, file);
    assert.equal(check(minisig, [previous, publisher]).keyId, publisher.id);
  });

  it('refuses a changed trusted comment before any byte is read', async () => {
    const minisig = await minisignSign(publisher, file, { trustedComment: 'release 4.2' });
    const changed = Buffer.from(minisig.toString('latin1').replace('release 4.2', 'release 4.3'));
    const keySet = parsePublicKeys(publisher.publicKeyText, 'KEYS');
    const { message, details } = refusal(() =>
      minisignCheck(keySet, parseMinisign(changed), data.length, limitBytes),
    );
    assert.match(message, /trusted comment is not signed by minisign key [0-9A-F]{16}/);
    assert.equal(details.reason, 'signature-comment-altered');
  });

  it('refuses a truncated or damaged .minisig, saying what is missing', async () => {
    const minisig = (await minisignSign(publisher, file)).toString('latin1');
    const lines = minisig.split('\n');
    const cases: [string, RegExp][] = [
      ['', /does not start with "untrusted comment: "/],
      [lines.slice(0, 1).join('\n'), /has no signature on line 2/],
      [`${lines[0]}\n${lines[1]?.slice(0, 40)}`, /has no signature on line 2/],
      [lines.slice(0, 2).join('\n'), /has no "trusted comment: " line 3/],
      [lines.slice(0, 3).join('\n'), /has no global signature on line 4/],
      [minisig.replace(/^untrusted comment: /, 'comment: '), /does not start with/],
    ];
    for (const [text, expected] of cases) {
      const { message, details } = refusal(() => parseMinisign(Buffer.from(text, 'latin1')));
      assert.match(message, expected);
      assert.equal(details.reason, 'signature-unparseable');
    }
  });

  it('refuses an unknown signature algorithm', async () => {
    const lines = (await minisignSign(publisher, file)).toString('latin1').split('\n');
    const signed = Buffer.from(lines[1] ?? '', 'base64');
    signed.write('EX', 0, 'latin1');
    lines[1] = signed.toString('base64');
    assert.match(
      refusal(() => parseMinisign(Buffer.from(lines.join('\n')))).message,
      /unknown algorithm "EX": expected "ED" or "Ed"/,
    );
  });

  it('reads a .minisig with CRLF line ends, like minisign', async () => {
    const minisig = (await minisignSign(publisher, file)).toString('latin1');
    const crlf = Buffer.from(minisig.replaceAll('\n', '\r\n'), 'latin1');
    assert.equal(check(crlf, [publisher]).keyId, publisher.id);
  });
});
