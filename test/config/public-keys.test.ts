import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { parsePublicKeys } from '../../src/config/public-keys.ts';
import { ConfigError } from '../../src/errors.ts';
import {
  type MinisignKeyPair,
  minisignKeyPair,
  type OpensslKeyPair,
  opensslCertificate,
  opensslP256KeyPair,
  spkiSha256,
} from '../helpers/signers.ts';
import { makeTempDir, type TempDir } from '../helpers/tmp.ts';

let tmp: TempDir;
let minisign: MinisignKeyPair;
let ecdsa: OpensslKeyPair;
before(async () => {
  tmp = await makeTempDir('signature-keys-');
  minisign = await minisignKeyPair(tmp.path, 'minisign');
  ecdsa = await opensslP256KeyPair(tmp.path, 'cosign');
});
after(() => tmp.cleanup());

const source = 'ARTIFACT_PUBLIC_KEY';
const keyLine = (text: string) => text.split('\n')[1] ?? '';

function configFailure(text: string): string {
  let message = '';
  assert.throws(
    () => parsePublicKeys(text, source),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.exitCode, 2);
      message = error.message;
      return true;
    },
  );
  return message;
}

describe('parsePublicKeys', () => {
  it('reads a minisign .pub file and its bare key line, with the id minisign prints', () => {
    for (const text of [minisign.publicKeyText, keyLine(minisign.publicKeyText)]) {
      const { keys } = parsePublicKeys(text, source);
      assert.equal(keys.length, 1);
      assert.equal(keys[0]?.kind, 'minisign');
      assert.equal(keys[0]?.id, minisign.id);
    }
  });

  it("reads cosign.pub (ECDSA P-256) and an Ed25519 PEM key, each named by its SubjectPublicKeyInfo's SHA-256", () => {
    const ed25519 = generateKeyPairSync('ed25519').publicKey;
    const edPem = ed25519.export({ type: 'spki', format: 'pem' }).toString();
    const { keys } = parsePublicKeys(`${ecdsa.publicKeyPem}\n${edPem}`, source);
    assert.deepEqual(
      keys.map((key) => [key.kind, key.id]),
      [
        ['ecdsa-p256', ecdsa.fingerprint],
        ['ed25519', `sha256:${spkiSha256(ed25519).toString('hex')}`],
      ],
    );
  });

  it('reads a mixed, indented, CRLF set in order and counts a repeated key once', () => {
    const second = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const secondPem = second.export({ type: 'spki', format: 'pem' }).toString();
    const text = [
      minisign.publicKeyText,
      ecdsa.publicKeyPem,
      secondPem,
      keyLine(minisign.publicKeyText),
    ]
      .join('\n')
      .split('\n')
      .map((line) => `   ${line}\r`)
      .join('\n');
    const { keys } = parsePublicKeys(text, source);
    assert.deepEqual(
      keys.map((key) => key.id),
      [minisign.id, ecdsa.fingerprint, `sha256:${spkiSha256(second).toString('hex')}`],
    );
  });

  it('refuses text without a key', () => {
    assert.match(configFailure('\n  \n'), /ARTIFACT_PUBLIC_KEY holds no public key/);
    assert.match(configFailure('untrusted comment: nothing\n'), /holds no public key/);
  });

  it('names the line that is not a key, without printing it', () => {
    const text = `${minisign.publicKeyText}not-a-key-secret-looking-text\n`;
    const message = configFailure(text);
    assert.match(message, /ARTIFACT_PUBLIC_KEY line 3 is not a minisign public key/);
    assert.doesNotMatch(message, /secret-looking/);
  });

  it('refuses a minisign secret key line, without printing it', async () => {
    const secretLine = keyLine(await readFile(minisign.secretKeyPath, 'utf8'));
    const message = configFailure(secretLine);
    assert.match(message, /line 1 is a minisign secret key: give the public key/);
    assert.ok(!message.includes(secretLine.slice(0, 20)));
  });

  it('refuses a minisign key for another algorithm', () => {
    const bytes = Buffer.from(keyLine(minisign.publicKeyText), 'base64');
    bytes.write('Xx', 0, 'latin1');
    assert.match(configFailure(bytes.toString('base64')), /unknown algorithm: expected "Ed"/);
  });

  it('refuses RSA and other curves, naming what they are', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    const pem = (key: typeof rsa) => key.export({ type: 'spki', format: 'pem' }).toString();
    assert.match(
      configFailure(pem(rsa)),
      /the PEM block on line 1 is an RSA key: expected ECDSA P-256 or Ed25519/,
    );
    assert.match(
      configFailure(`${ecdsa.publicKeyPem}${pem(p384)}`),
      /the PEM block on line 5 is an ECDSA key on curve secp384r1: expected ECDSA P-256 or Ed25519/,
    );
    const pkcs1 = rsa.export({ type: 'pkcs1', format: 'pem' }).toString();
    assert.match(configFailure(pkcs1), /is an RSA key/);
  });

  it('refuses a private key and a certificate, without printing them', async () => {
    const privatePem = await readFile(ecdsa.privateKeyPath, 'utf8');
    const privateMessage = configFailure(privatePem);
    assert.match(privateMessage, /is a private key: give only the public key/);
    assert.ok(!privateMessage.includes(privatePem.split('\n')[1] ?? ''));
    const certificate = await opensslCertificate(ecdsa, tmp.path);
    assert.match(
      configFailure(certificate),
      /is a certificate: give the publisher's public key .*keyless signatures are not supported/,
    );
  });

  it('refuses a PEM block without its end line or with a damaged body', () => {
    const lines = ecdsa.publicKeyPem.trim().split('\n');
    assert.match(
      configFailure(lines.slice(0, -1).join('\n')),
      /line 1 has no "-----END PUBLIC KEY-----" line/,
    );
    const damaged = [lines[0], 'AAAA', lines.at(-1)].join('\n');
    assert.match(configFailure(damaged), /is not a valid DER SubjectPublicKeyInfo/);
  });
});
