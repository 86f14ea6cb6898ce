import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { TempArtifact } from '../../src/artifact/temp-artifact.ts';
import { IntegrityError, SizeMismatchError } from '../../src/errors.ts';
import { LayerExtractor } from '../../src/extract/layer-extractor.ts';
import { writeTar } from '../helpers/registry/tar.ts';
import { makeTempDir, randomBytesBuffer, sha256Hex } from '../helpers/tmp.ts';

const jar = randomBytesBuffer(300_000);
const layer = gzipSync(
  writeTar([
    { name: 'etc/', type: 'directory' },
    { name: 'app.jar', data: jar },
  ]),
);

/** A blob temp file followed by an extractor into a JAR temp file, in a fresh folder. */
async function extraction(expectedSizeBytes?: number) {
  const dir = await makeTempDir('runtime-loader-extract-');
  const target = join(dir.path, 'app.jar');
  const blob = await TempArtifact.create(target);
  const jarFile = await TempArtifact.create(target);
  const extractor = new LayerExtractor(jarFile, {
    compression: 'gzip',
    path: 'app.jar',
    expectedSizeBytes,
  });
  blob.follow(extractor);
  return {
    blob,
    jarFile,
    extractor,
    [Symbol.asyncDispose]: async () => {
      await extractor.abandon();
      await blob.discard();
      await jarFile.discard();
      await dir.cleanup();
    },
  };
}

/** Appends `bytes` to `blob` in chunks of `size`, each chunk's memory zeroed once it is taken, as the download frees it. */
async function appendInChunks(blob: TempArtifact, bytes: Buffer, size: number): Promise<void> {
  for (let at = 0; at < bytes.length; at += size) {
    const chunk = Buffer.from(bytes.subarray(at, at + size));
    await blob.append([chunk]);
    chunk.fill(0);
  }
}

describe('LayerExtractor', () => {
  it('writes the JAR into its own temp file as the layer is appended, chunk by chunk', async () => {
    await using x = await extraction(jar.length);
    await appendInChunks(x.blob, layer, 4096);
    assert.deepEqual(await x.extractor.finish(), { kind: 'found', sizeBytes: jar.length });
    assert.equal(x.jarFile.bytesWritten, jar.length);
    assert.equal(x.jarFile.digestHex(), sha256Hex(jar));
    assert.equal(sha256Hex(await readFile(x.jarFile.path)), sha256Hex(jar));
  });

  it('starts over with the layer: the JAR file is emptied and written again', async () => {
    await using x = await extraction();
    await appendInChunks(x.blob, layer.subarray(0, layer.length / 2), 1000);
    await x.blob.reset();
    assert.equal(x.jarFile.bytesWritten, 0);
    await appendInChunks(x.blob, layer, 65_536);
    assert.deepEqual(await x.extractor.finish(), { kind: 'found', sizeBytes: jar.length });
    assert.equal(x.jarFile.digestHex(), sha256Hex(jar));
  });

  it('holds a failure until the end: the layer goes on downloading, finish reports it', async () => {
    await using x = await extraction();
    const garbage = randomBytesBuffer(200_000);
    await appendInChunks(x.blob, garbage, 8192);
    assert.equal(x.blob.bytesWritten, garbage.length, 'every byte was taken');
    await assert.rejects(x.extractor.finish(), (error: unknown) => {
      assert.ok(error instanceof IntegrityError);
      assert.match(error.message, /not valid gzip data/);
      return true;
    });
  });

  it('a file that is not ARTIFACT_EXPECTED_SIZE is a held size mismatch; nothing of it written', async () => {
    await using x = await extraction(jar.length + 1);
    await appendInChunks(x.blob, layer, 16_384);
    await assert.rejects(x.extractor.finish(), SizeMismatchError);
    assert.equal(x.jarFile.bytesWritten, 0);
  });

  it('says what the layer says of a file it does not hold: absent', async () => {
    await using x = await extraction();
    await x.blob.append([gzipSync(writeTar([{ name: 'other.jar', data: jar }]))]);
    assert.deepEqual(await x.extractor.finish(), { kind: 'absent' });
    assert.equal(x.jarFile.bytesWritten, 0);
  });
});
