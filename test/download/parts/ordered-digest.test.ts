import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TempArtifact } from '../../../src/artifact/temp-artifact.ts';
import { OrderedDigest } from '../../../src/download/parts/ordered-digest.ts';
import type { Part } from '../../../src/download/parts/part.ts';
import { planParts } from '../../../src/download/parts/plan.ts';
import { makeTempDir, randomBytesBuffer, sha256Hex } from '../../helpers/tmp.ts';

/** Writes part `part` of `body` in place, as its attempt would. */
async function writePart(temp: TempArtifact, body: Buffer, part: Part): Promise<void> {
  await temp.writeAt([body.subarray(part.firstByte, part.lastByte + 1)], part.firstByte);
}

describe('OrderedDigest', () => {
  it('equals the SHA-256 of the file when the parts complete out of order', async () => {
    await using dir = await makeTempDir('ordered-digest-');
    // Over the 1 MiB read-back chunk, in parts of uneven sizes.
    const body = randomBytesBuffer(3 * 1024 * 1024 + 777);
    const parts = planParts(body.length, 6);
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    const failures: unknown[] = [];
    const digest = new OrderedDigest(temp, parts, new AbortController().signal, (error) =>
      failures.push(error),
    );
    try {
      for (const index of [3, 1, 5, 0, 4, 2]) {
        const part = parts[index];
        assert.ok(part);
        await writePart(temp, body, part);
        digest.partDone(index);
      }
      await digest.settled();

      assert.deepEqual(failures, []);
      assert.equal(temp.bytesWritten, body.length);
      assert.equal(temp.digestHex(), sha256Hex(body));
    } finally {
      await temp.discard();
    }
  });

  it('follows only the completed prefix: a part after a gap waits for the gap', async () => {
    await using dir = await makeTempDir('ordered-digest-');
    const body = randomBytesBuffer(40_000);
    const parts = planParts(body.length, 4);
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    const digest = new OrderedDigest(temp, parts, new AbortController().signal, () => {});
    try {
      const [part0, part1, part2] = parts;
      assert.ok(part0 && part1 && part2);
      await writePart(temp, body, part1);
      await writePart(temp, body, part2);
      digest.partDone(1);
      digest.partDone(2);
      await digest.settled();
      assert.equal(temp.bytesWritten, 0, 'part 0 is missing: nothing is hashed yet');

      await writePart(temp, body, part0);
      digest.partDone(0);
      await digest.settled();
      assert.equal(temp.bytesWritten, part2.lastByte + 1, 'parts 0 to 2, in one go');
      assert.equal(temp.digestHex(), sha256Hex(body.subarray(0, part2.lastByte + 1)));
    } finally {
      await temp.discard();
    }
  });

  it('tells the first failed read-back, and reads nothing after it', async () => {
    await using dir = await makeTempDir('ordered-digest-');
    const body = randomBytesBuffer(3 * 1024 * 1024);
    const parts = planParts(body.length, 3);
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    const controller = new AbortController();
    const failures: unknown[] = [];
    const digest = new OrderedDigest(temp, parts, controller.signal, (error) =>
      failures.push(error),
    );
    try {
      for (const part of parts) await writePart(temp, body, part);
      const stop = new Error('stopped');
      controller.abort(stop);
      digest.partDone(0);
      digest.partDone(1);
      digest.partDone(2);
      await digest.settled();
      // Every partDone listens to the one chain: each hears the first failure, no other.
      assert.deepEqual(failures, [stop, stop, stop]);
      assert.equal(temp.bytesWritten, 0);
    } finally {
      await temp.discard();
    }
  });
});
