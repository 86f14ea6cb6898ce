// Real signatures for the signature tests, made at test time: minisign and
// openssl as their users run them, node:crypto where a form has no tool here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import { createHash, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IntegrityError } from '../../src/errors.ts';
import type { StreamingCheck } from '../../src/verify/signature/check.ts';
import { runPasses } from '../../src/verify/signature/passes.ts';
import { makeTempDir, type TempDir } from './tmp.ts';

const run = promisify(execFile);
let signatureCount = 0;

export interface MinisignKeyPair {
  /** The .pub file: "untrusted comment: minisign public key <id>" and the key line. */
  readonly publicKeyText: string;
  readonly secretKeyPath: string;
  /** The key id minisign printed in the comment, to 16 digits (0.11 drops leading zeros there; 0.12 and its error messages do not). */
  readonly id: string;
}

/** `minisign -G -W`: a key pair without a password. */
export async function minisignKeyPair(dir: string, name: string): Promise<MinisignKeyPair> {
  const publicKeyPath = join(dir, `${name}.pub`);
  const secretKeyPath = join(dir, `${name}.key`);
  await run('minisign', ['-G', '-W', '-p', publicKeyPath, '-s', secretKeyPath]);
  const publicKeyText = await readFile(publicKeyPath, 'utf8');
  const printed = /minisign public key ([0-9A-F]{1,16})\n/.exec(publicKeyText)?.[1];
  assert.ok(printed !== undefined, `minisign names the key id in the comment: ${publicKeyText}`);
  return { publicKeyText, secretKeyPath, id: printed.padStart(16, '0') };
}

/** `minisign -S` (prehashed ED), with `-l` the legacy Ed form; returns the .minisig bytes. */
export async function minisignSign(
  keyPair: MinisignKeyPair,
  file: string,
  options: { legacy?: boolean; trustedComment?: string } = {},
): Promise<Buffer> {
  signatureCount += 1;
  const out = `${file}.${signatureCount}.minisig`;
  await run('minisign', [
    '-S',
    '-s',
    keyPair.secretKeyPath,
    '-m',
    file,
    '-x',
    out,
    ...(options.legacy === true ? ['-l'] : []),
    ...(options.trustedComment === undefined ? [] : ['-t', options.trustedComment]),
  ]);
  return readFile(out);
}

export interface OpensslKeyPair {
  readonly publicKeyPem: string;
  readonly privateKeyPath: string;
  /** sha256: and the SHA-256 of the DER SubjectPublicKeyInfo as openssl writes it. */
  readonly fingerprint: string;
}

/** `openssl ecparam -genkey -name prime256v1`, the public key as cosign.pub holds it. */
export async function opensslP256KeyPair(dir: string, name: string): Promise<OpensslKeyPair> {
  const privateKeyPath = join(dir, `${name}.pem`);
  await run('openssl', [
    'ecparam',
    '-genkey',
    '-name',
    'prime256v1',
    '-noout',
    '-out',
    privateKeyPath,
  ]);
  const { stdout: publicKeyPem } = await run('openssl', ['ec', '-in', privateKeyPath, '-pubout']);
  const der = await runBytes('openssl', [
    'ec',
    '-in',
    privateKeyPath,
    '-pubout',
    '-outform',
    'DER',
  ]);
  const fingerprint = `sha256:${createHash('sha256').update(der).digest('hex')}`;
  return { publicKeyPem, privateKeyPath, fingerprint };
}

/** `openssl dgst -sha256 -sign key.pem FILE`: the DER signature cosign sign-blob makes (--b64=false). */
export function opensslSign(keyPair: OpensslKeyPair, file: string): Promise<Buffer> {
  return runBytes('openssl', ['dgst', '-sha256', '-sign', keyPair.privateKeyPath, file]);
}

/** A self-signed certificate for the key, as a keyless bundle carries one (Fulcio's, there). */
export async function opensslCertificate(keyPair: OpensslKeyPair, dir: string): Promise<string> {
  signatureCount += 1;
  const out = join(dir, `certificate-${signatureCount}.pem`);
  await run('openssl', [
    'req',
    '-new',
    '-x509',
    '-key',
    keyPair.privateKeyPath,
    '-subj',
    '/CN=publisher',
    '-days',
    '1',
    '-out',
    out,
  ]);
  return readFile(out, 'utf8');
}

export function spkiSha256(publicKey: KeyObject): Buffer {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest();
}

/** cosign's `--bundle` JSON (LocalSignedPayload); `cert` is the base64 of a PEM. */
export function cosignBundle(signature: Buffer, certPem?: string): string {
  return JSON.stringify({
    base64Signature: signature.toString('base64'),
    ...(certPem === undefined ? {} : { cert: Buffer.from(certPem).toString('base64') }),
    rekorBundle: null,
  });
}

/** A sigstore bundle with a message signature, as `cosign sign-blob --new-bundle-format` writes. */
export function sigstoreBundle(options: {
  signature: Buffer;
  data: Buffer;
  material: { publicKey: { hint: string } } | { certificate: { rawBytes: string } };
  mediaType?: string;
}): string {
  return JSON.stringify({
    mediaType: options.mediaType ?? 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { ...options.material, tlogEntries: [] },
    messageSignature: {
      messageDigest: {
        algorithm: 'SHA2_256',
        digest: createHash('sha256').update(options.data).digest('base64'),
      },
      signature: options.signature.toString('base64'),
    },
  });
}

/** Runs the check's passes on this thread over the bytes, in chunks as the download brings them, then asks for the verdict. */
export function feed(check: StreamingCheck, data: Buffer, chunkBytes = 64 * 1024) {
  const runner = runPasses(crypto, check.passes);
  for (let at = 0; at < data.length; at += chunkBytes) {
    runner.update(data.subarray(at, at + chunkBytes));
  }
  return check.verdict(runner.results(), createHash('sha256').update(data).digest('hex'));
}

/** The IntegrityError (exit 6) that `run` throws: its message and details. */
export function refusal(run: () => unknown): { message: string; details: Record<string, unknown> } {
  let caught: { message: string; details: Record<string, unknown> } | undefined;
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof IntegrityError, String(error));
    assert.equal(error.exitCode, 6);
    caught = { message: error.message, details: { ...error.details } };
    return true;
  });
  assert.ok(caught);
  return caught;
}

export interface SigningFixture {
  readonly tmp: TempDir;
  readonly minisign: MinisignKeyPair;
  readonly ecdsa: OpensslKeyPair;
  /** `data` as `app.jar` in `tmp`, to be signed. */
  readonly file: string;
}

/** A minisign key pair and an ECDSA P-256 one, and `data` as a file to sign, in a fresh temp folder. */
export async function signingFixture(prefix: string, data: Buffer): Promise<SigningFixture> {
  const tmp = await makeTempDir(prefix);
  const [minisign, ecdsa] = await Promise.all([
    minisignKeyPair(tmp.path, 'minisign'),
    opensslP256KeyPair(tmp.path, 'cosign'),
  ]);
  return { tmp, minisign, ecdsa, file: await writeBytes(tmp.path, 'app.jar', data) };
}

export async function writeBytes(dir: string, name: string, data: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, data);
  return path;
}

async function runBytes(command: string, args: string[]): Promise<Buffer> {
  const { stdout } = await run(command, args, { encoding: 'buffer' });
  return stdout;
}
