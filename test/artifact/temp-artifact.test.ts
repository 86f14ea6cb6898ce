import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TempArtifact } from '../../src/artifact/temp-artifact.ts';
import { makeTempDir, randomBytesBuffer, sha256Hex } from '../helpers/tmp.ts';

describe('TempArtifact: parts written out of order', () => {
  it('writeAt counts nothing until hashThrough reads the file back in order, in steps', async () => {
    await using dir = await makeTempDir('temp-file-');
    // Over two read-back chunks (1 MiB each), so the read-ahead turns over.
    const body = randomBytesBuffer(2 * 1024 * 1024 + 12_345);
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    const cuts = [0, 700_000, 1_500_000, body.length];
    // Last part first, each in two chunks, as parallel writers would leave them.
    for (let part = cuts.length - 2; part >= 0; part -= 1) {
      const [start = 0, end = 0] = [cuts[part], cuts[part + 1]];
      const middle = start + Math.floor((end - start) / 3);
      await temp.writeAt([body.subarray(start, middle), body.subarray(middle, end)], start);
    }
    assert.equal(temp.bytesWritten, 0, 'nothing hashed yet');

    // As the digest follows completed parts: up to the first cut, then the rest.
    const signal = new AbortController().signal;
    await temp.hashThrough(cuts[1] ?? 0, signal);
    assert.equal(temp.bytesWritten, cuts[1]);
    await temp.hashThrough(body.length, signal);
    await temp.hashThrough(body.length, signal);

    assert.equal(temp.bytesWritten, body.length, 'a second call for the same end reads nothing');
    assert.equal(temp.digestHex(), sha256Hex(body));
    assert.deepEqual(await readFile(temp.path), body);
    await temp.discard();
  });

  it('a file shorter than asked counts only the bytes that are there', async () => {
    await using dir = await makeTempDir('temp-file-');
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    await temp.writeAt([Buffer.from('hello world')], 0);

    await temp.hashThrough(100, new AbortController().signal);

    assert.equal(temp.bytesWritten, 11);
    assert.equal(temp.digestHex(), sha256Hex('hello world'));
    await temp.discard();
  });

  it('hashThrough stops with the reason of an abort', async () => {
    await using dir = await makeTempDir('temp-file-');
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    await temp.writeAt([randomBytesBuffer(3 * 1024 * 1024)], 0);
    const controller = new AbortController();
    controller.abort(new Error('stop'));

    await assert.rejects(temp.hashThrough(3 * 1024 * 1024, controller.signal), /stop/);
    await temp.discard();
  });
});
