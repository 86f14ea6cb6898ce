import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { parsePublicKeys } from '../../../src/config/public-keys.ts';
import { IntegrityError } from '../../../src/errors.ts';
import {
  type PassThread,
  type SignatureReader,
  startSignatureReader,
  workerFromBytes,
} from '../../../src/verify/signature/signature-reader.ts';
import { createSignatureCheck } from '../../../src/verify/signature/verifier.ts';
import { batchBytes, maxBatchesInFlight } from '../../../src/verify/signature/worker-reader.ts';
import {
  type MinisignKeyPair,
  minisignSign,
  type OpensslKeyPair,
  opensslSign,
  signingFixture,
} from '../../helpers/signers.ts';
import type { TempDir } from '../../helpers/tmp.ts';

// Over one batch and not a multiple of the 64 KiB chunks: batches are handed over full and in part.
const data = randomBytes(3 * 1024 * 1024 + 12_345);
const sha256 = createHash('sha256').update(data).digest('hex');
let tmp: TempDir;
let minisign: MinisignKeyPair;
let ecdsa: OpensslKeyPair;
let file: string;
before(async () => {
  ({ tmp, minisign, ecdsa, file } = await signingFixture('signature-reader-', data));
});
after(() => tmp.cleanup());

function keys() {
  return parsePublicKeys(`${minisign.publicKeyText}\n${ecdsa.publicKeyPem}`, 'ARTIFACT_PUBLIC_KEY');
}

/** A reader for `signature` on `thread`, closed after the test. */
function readerFor(
  signature: Buffer | string,
  t: { after: (fn: () => unknown) => void },
  thread: PassThread = 'worker',
) {
  const reader = startSignatureReader(thread);
  t.after(() => reader.close());
  reader.begin(createSignatureCheck(keys(), signature, { expectedSizeBytes: data.length }));
  return reader;
}

/** Every byte in 64 KiB chunks as the download brings them, each freshly allocated and then overwritten. */
async function stream(reader: SignatureReader, bytes: Buffer): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024);
  for (let at = 0; at < bytes.length; at += chunk.length) {
    const length = bytes.copy(chunk, 0, at);
    await reader.update(chunk.subarray(0, length));
    // The download reuses or frees a chunk once it is written: the reader must have copied it.
    chunk.fill(0);
  }
}

for (const thread of ['worker', 'main'] as const) {
  describe(`a SignatureReader on the ${thread} thread`, () => {
    it('checks a minisign ED, a legacy Ed and a cosign signature', async (t) => {
      for (const [signature, form, keyId] of [
        [await minisignSign(minisign, file), 'minisign ED', minisign.id],
        [await minisignSign(minisign, file, { legacy: true }), 'minisign Ed', minisign.id],
        [(await opensslSign(ecdsa, file)).toString('base64'), 'cosign blob', ecdsa.fingerprint],
      ] as const) {
        const reader = readerFor(signature, t, thread);
        await stream(reader, data);
        const verified = await reader.verdict(sha256);
        assert.equal(verified.form, form);
        assert.equal(verified.keyId, keyId);
      }
    });

    it('refuses the file with one byte changed, naming the key and the form', async (t) => {
      const changed = Buffer.from(data);
      changed[changed.length - 1] = (changed.at(-1) ?? 0) ^ 1;
      for (const signature of [
        await minisignSign(minisign, file),
        await minisignSign(minisign, file, { legacy: true }),
        (await opensslSign(ecdsa, file)).toString('base64'),
      ]) {
        const reader = readerFor(signature, t, thread);
        await stream(reader, changed);
        await assert.rejects(reader.verdict(), (error: unknown) => {
          assert.ok(error instanceof IntegrityError);
          assert.equal(error.details.reason, 'signature-mismatch');
          assert.match(error.message, /does not match the downloaded file/);
          return true;
        });
      }
    });

    it('forgets what it read when the file starts over', async (t) => {
      const reader = readerFor(await minisignSign(minisign, file), t, thread);
      // Bytes of another version, a batch handed over and part of the next, then a restart.
      await stream(reader, randomBytes(batchBytes + 4096));
      reader.restart();
      await stream(reader, data);
      assert.equal((await reader.verdict(sha256)).keyId, minisign.id);
    });

    it('takes no bytes before its check', (t) => {
      const reader = startSignatureReader(thread);
      t.after(() => reader.close());
      assert.throws(() => reader.update(data), /has no check yet/);
    });

    it('takes no bytes after its verdict, and none once closed', async (t) => {
      const reader = readerFor(await minisignSign(minisign, file), t, thread);
      await stream(reader, data);
      await reader.verdict();
      assert.throws(
        () => reader.update(data),
        /the minisign ED signature check has already finished/,
      );
      await assert.rejects(reader.verdict(), /already finished/);
      await reader.close();
      assert.throws(() => reader.update(data), /closed/);
    });
  });
}

describe('a SignatureReader on a worker thread', () => {
  it('holds the download back once its batches are all out to the worker', async (t) => {
    const reader = readerFor(await minisignSign(minisign, file), t);
    // The worker answers only after this turn of the event loop: nothing comes back meanwhile.
    const batch = Buffer.alloc(batchBytes);
    const returned = Array.from({ length: maxBatchesInFlight + 1 }, () => reader.update(batch));
    assert.deepEqual(
      returned.map((value) => value instanceof Promise),
      [...Array(maxBatchesInFlight - 1).fill(false), true, true],
    );
    await Promise.all(returned);
  });
});

describe('passThreadFor', () => {
  const script = (sizeBytes: number) =>
    `import { passThreadFor } from ${JSON.stringify(new URL('../../../src/verify/signature/signature-reader.ts', import.meta.url).href)}; console.log(passThreadFor(${sizeBytes}));`;
  const threadOn = (cpus: string, sizeBytes: number) =>
    execFileSync(
      'taskset',
      ['-c', cpus, process.execPath, '--input-type=module', '-e', script(sizeBytes)],
      { encoding: 'utf8' },
    ).trim();

  it('takes a worker for a large file with two CPUs or more, else the main thread', () => {
    const all = `0-${availableParallelism() - 1}`;
    const twoOrMore = availableParallelism() >= 2 ? 'worker' : 'main';
    assert.equal(threadOn(all, workerFromBytes), twoOrMore);
    assert.equal(threadOn(all, workerFromBytes - 1), 'main', 'too small to pay for a worker');
    assert.equal(threadOn('0', workerFromBytes), 'main', 'one CPU (pinned by taskset)');
  });
});
