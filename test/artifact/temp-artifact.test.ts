import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
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

describe('TempArtifact: readers that follow the file in order', () => {
  /** A reader that hashes what it sees and counts its restarts. */
  function hashingReader() {
    let hash = createHash('sha256');
    const seen = { bytes: 0, restarts: 0, digest: () => hash.copy().digest('hex') };
    const reader = {
      update(chunk: Buffer) {
        hash.update(chunk);
        seen.bytes += chunk.byteLength;
      },
      restart() {
        hash = createHash('sha256');
        seen.bytes = 0;
        seen.restarts += 1;
      },
    };
    return { reader, seen };
  }

  it('sees appended bytes and bytes read back after parts, once each and in order', async () => {
    await using dir = await makeTempDir('temp-file-');
    const body = randomBytesBuffer(1024 * 1024 + 777);
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    const { reader, seen } = hashingReader();
    temp.follow(reader);
    // The first part appended (one connection, or part 0), the rest written out of order.
    await temp.append([body.subarray(0, 1000), body.subarray(1000, 5000)]);
    assert.equal(seen.bytes, 5000);
    await temp.writeAt([body.subarray(600_000)], 600_000);
    await temp.writeAt([body.subarray(5000, 600_000)], 5000);
    assert.equal(
      seen.bytes,
      5000,
      'bytes written out of order are not seen before they are read back',
    );
    await temp.hashThrough(body.length, new AbortController().signal);

    assert.equal(seen.bytes, body.length);
    assert.equal(seen.digest(), sha256Hex(body));
    assert.equal(seen.digest(), temp.digestHex());
    await temp.discard();
  });

  it('is told to forget when the file starts over', async () => {
    await using dir = await makeTempDir('temp-file-');
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    const { reader, seen } = hashingReader();
    temp.follow(reader);
    await temp.append([Buffer.from('a version that was replaced')]);
    await temp.reset();
    await temp.append([Buffer.from('the file')]);

    assert.equal(seen.restarts, 1);
    assert.equal(seen.digest(), sha256Hex('the file'));
    await temp.discard();
  });

  it('holds the writer back until a slow reader took the bytes', async () => {
    await using dir = await makeTempDir('temp-file-');
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    let release = () => {};
    const taken = new Promise<void>((resolve) => {
      release = resolve;
    });
    let updates = 0;
    temp.follow({
      update: () => {
        updates += 1;
        return taken;
      },
      restart: () => {},
    });
    let appended = false;
    const appending = temp.append([Buffer.from('bytes')]).then(() => {
      appended = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    while (updates === 0) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(appended, false, 'append waits for the reader');
    release();
    await appending;
    assert.equal(appended, true);
    await temp.discard();
  });

  it('must follow from the first byte', async () => {
    await using dir = await makeTempDir('temp-file-');
    const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
    await temp.append([Buffer.from('late')]);
    assert.throws(() => temp.follow({ update() {}, restart() {} }), /from its first byte/);
    await temp.discard();
  });
});
