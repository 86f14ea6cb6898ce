import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { IntegrityError, SizeMismatchError } from '../../src/errors.ts';
import { findFileInTar, type TarSearchResult } from '../../src/extract/tar-file.ts';
import {
  block,
  chunked,
  file,
  padding,
  paxData,
  tarHeader,
  tarOf,
  withChecksum,
} from '../helpers/tar.ts';

/** A sink that keeps what it is given. */
function collector(): { sink: Writable; bytes: () => Buffer } {
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      parts.push(Buffer.from(chunk));
      done();
    },
  });
  return { sink, bytes: () => Buffer.concat(parts) };
}

async function search(
  archive: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  path = 'app.jar',
  expectedSizeBytes?: number,
): Promise<{ result: TarSearchResult; bytes: Buffer }> {
  const { sink, bytes } = collector();
  const chunks = archive instanceof Uint8Array ? [archive] : archive;
  const result = await findFileInTar(toAsync(chunks), { path, sink, expectedSizeBytes });
  return { result, bytes: bytes() };
}

async function* toAsync(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>) {
  yield* chunks;
}

async function refusal(archive: Uint8Array, path = 'app.jar', expectedSizeBytes?: number) {
  const { sink, bytes } = collector();
  try {
    await findFileInTar(toAsync([archive]), { path, sink, expectedSizeBytes });
  } catch (error) {
    assert.ok(error instanceof Error);
    return { error, written: bytes() };
  }
  assert.fail('accepted');
}

const jar = Buffer.from('PK\x03\x04 the jar bytes');

describe('findFileInTar', () => {
  it('finds the file however the writer spelled its path', async () => {
    for (const name of ['app.jar', './app.jar', '/app.jar', './/app.jar']) {
      const { result, bytes } = await search(
        tarOf([file('./', '', { type: '5' }), file(name, jar)]),
      );
      assert.deepEqual(result, { kind: 'found', sizeBytes: jar.length }, name);
      assert.deepEqual(bytes, jar);
    }
  });

  it('skips entries of every padding before it, and finds a path in a folder', async () => {
    const others = [0, 1, 511, 512, 513, 1500].map((size) =>
      file(`opt/f${size}`, Buffer.alloc(size, 7)),
    );
    const archive = tarOf([
      file('opt/', '', { type: '5' }),
      ...others,
      file('opt/app.jar', jar),
      file('z', 'x'),
    ]);
    const { result, bytes } = await search(archive, 'opt/app.jar');
    assert.deepEqual(result, { kind: 'found', sizeBytes: jar.length });
    assert.deepEqual(bytes, jar);
    assert.deepEqual((await search(archive, 'app.jar')).result, { kind: 'absent' });
  });

  it("joins ustar's prefix field to the name", async () => {
    const prefix = `${'p'.repeat(99)}/${'q'.repeat(50)}`;
    const archive = tarOf([file('app.jar', jar, { prefix })]);
    assert.equal((await search(archive, `${prefix}/app.jar`)).result.kind, 'found');
    const gnu = tarOf([file('app.jar', jar, { prefix, gnu: true })]);
    assert.equal(
      (await search(gnu, 'app.jar')).result.kind,
      'found',
      'GNU headers have no prefix field',
    );
  });

  it('takes the path and size from a pax header, for the next entry only', async () => {
    const long = `${'d'.repeat(120)}/${'e'.repeat(120)}/app.jar`;
    const pax = paxData({ path: long, size: String(jar.length), mtime: '1.5' });
    const archive = tarOf([
      { name: 'PaxHeaders/app.jar', type: 'x', data: pax },
      file('truncated-name', jar, { sizeField: 0 }),
      file('app.jar', 'not this one'),
    ]);
    const { result, bytes } = await search(archive, long);
    assert.deepEqual(result, { kind: 'found', sizeBytes: jar.length });
    assert.deepEqual(bytes, jar);
  });

  it('ignores global pax headers and GNU long link names, keeping extended headers for the entry', async () => {
    const archive = tarOf([
      { name: 'pax_global_header', type: 'g', data: paxData({ path: 'app.jar', comment: 'c' }) },
      file('other', 'x'),
      { name: 'PaxHeaders/x', type: 'x', data: paxData({ path: 'opt/app.jar' }) },
      { name: '././@LongLink', type: 'K', data: Buffer.from(`${'l'.repeat(200)}\0`) },
      file('opt/app.j', jar),
    ]);
    assert.deepEqual((await search(archive, 'opt/app.jar')).bytes, jar);
    assert.deepEqual((await search(archive, 'app.jar')).result, { kind: 'absent' });
  });

  it('takes the name from a GNU long-name entry', async () => {
    const long = `${'n'.repeat(150)}/app.jar`;
    const archive = tarOf([
      { name: '././@LongLink', type: 'L', data: Buffer.from(`${long}\0`), gnu: true },
      file(long.slice(0, 100), jar, { gnu: true }),
    ]);
    assert.deepEqual((await search(archive, long)).bytes, jar);
  });

  it('reads no data after a link or folder header, whatever its size field says', async () => {
    const archive = tarOf([
      { name: 'opt/', type: '5', sizeField: 1024 },
      { name: 'lib.jar', type: '1', linkName: 'x', sizeField: 512 },
      file('opt/app.jar', jar),
    ]);
    assert.deepEqual((await search(archive, 'opt/app.jar')).bytes, jar);
  });

  it('reads a GNU base-256 size', async () => {
    const archive = tarOf([file('app.jar', jar, { sizeField: 'base-256', gnu: true })]);
    assert.deepEqual((await search(archive)).result, { kind: 'found', sizeBytes: jar.length });
  });

  it('skips a GNU sparse entry and its extension blocks', async () => {
    const sparseHeader = tarHeader({ name: 'big.sparse', type: 'S', gnu: true }, 1024);
    sparseHeader[482] = 1; // isextended: an extension block follows
    const extension = (more: boolean) => {
      const extensionBlock = Buffer.alloc(block);
      extensionBlock[504] = more ? 1 : 0;
      return extensionBlock;
    };
    const archive = Buffer.concat([
      withChecksum(sparseHeader),
      extension(true),
      extension(false),
      Buffer.alloc(1024, 0x41),
      tarOf([file('app.jar', jar)]),
    ]);
    assert.deepEqual((await search(archive)).bytes, jar);
  });

  it('reports a whiteout, an opaque folder or a non-folder parent as hiding the file', async () => {
    for (const [entries, by] of [
      [[file('opt/.wh.app.jar', '')], 'opt/.wh.app.jar'],
      [[file('opt/.wh..wh..opq', '')], 'opt/.wh..wh..opq'],
      [[file('./.wh.opt', '')], './.wh.opt'],
      [[file('opt', 'a file where the folder was')], 'opt'],
      [[{ name: 'opt', type: '2', linkName: '/elsewhere' }], 'opt'],
    ] as const) {
      assert.deepEqual((await search(tarOf(entries), 'opt/app.jar')).result, {
        kind: 'hidden',
        by,
      });
    }
    assert.deepEqual(
      (await search(tarOf([file('opt/', '', { type: '5' })]), 'opt/app.jar')).result,
      {
        kind: 'absent',
      },
    );
  });

  it('finds a file whose whiteout is in the same layer: a whiteout hides lower layers only', async () => {
    const archive = tarOf([file('.wh.app.jar', ''), file('app.jar', jar)]);
    assert.deepEqual((await search(archive)).result, { kind: 'found', sizeBytes: jar.length });
  });

  it('refuses a link, folder, device or sparse file at the path, naming what it is', async () => {
    const cases = [
      [{ name: 'app.jar', type: '2', linkName: '/etc/passwd' }, 'a symbolic link'],
      [{ name: 'app.jar', type: '1', linkName: 'other.jar' }, 'a hard link'],
      [{ name: 'app.jar/', type: '5' }, 'a folder'],
      [{ name: 'app.jar/', type: '0' }, 'a folder'],
      [{ name: 'app.jar', type: '6' }, 'a FIFO'],
      [{ name: 'app.jar', type: '3' }, 'a character device'],
      [{ name: 'app.jar', type: 'S', data: jar, gnu: true }, 'a sparse file'],
      [{ name: 'app.jar', type: 'V', data: jar }, 'an entry of tar type "V"'],
    ] as const;
    for (const [entry, what] of cases) {
      const { error, written } = await refusal(tarOf([entry]));
      assert.ok(error instanceof IntegrityError, what);
      assert.equal(
        error.message,
        `/app.jar in the layer is ${what}, not a regular file; refusing it`,
      );
      assert.equal(written.length, 0);
    }
    const paxSparse = tarOf([
      {
        name: 'PaxHeaders/x',
        type: 'x',
        data: paxData({ 'GNU.sparse.major': '1', 'GNU.sparse.name': 'app.jar' }),
      },
      file('GNUSparseFile.0/app.jar', jar),
    ]);
    assert.match((await refusal(paxSparse)).error.message, /is a sparse file/);
  });

  it('refuses the path twice in one layer, or with a parent replaced', async () => {
    const twice = await refusal(
      tarOf([file('app.jar', jar), file('x', 'y'), file('./app.jar', 'again')]),
    );
    assert.ok(twice.error instanceof IntegrityError);
    assert.equal(
      twice.error.message,
      'the layer has /app.jar twice (again as "./app.jar"); refusing an ambiguous layer',
    );
    const replaced = await refusal(
      tarOf([file('opt/app.jar', jar), file('opt', 'now a file')]),
      'opt/app.jar',
    );
    assert.match(
      replaced.error.message,
      /has \/opt\/app\.jar and also "opt", a non-folder at a parent path of it/,
    );
  });

  it('checks the expected size against the entry before writing a byte', async () => {
    const { error, written } = await refusal(
      tarOf([file('app.jar', jar)]),
      'app.jar',
      jar.length + 1,
    );
    assert.ok(error instanceof SizeMismatchError);
    assert.equal(
      error.message,
      `/app.jar in the layer is ${jar.length} bytes, ARTIFACT_EXPECTED_SIZE is ${jar.length + 1}; not extracting it`,
    );
    assert.equal(written.length, 0);
    assert.equal(
      (await search(tarOf([file('app.jar', jar)]), 'app.jar', jar.length)).result.kind,
      'found',
    );
  });

  it('refuses a damaged header, a malformed pax record or an archive cut inside an entry', async () => {
    const damaged = tarOf([file('a', 'x'), file('app.jar', jar)]);
    damaged.writeUInt8(damaged.readUInt8(block * 2 + 10) ^ 1, block * 2 + 10);
    assert.match(
      (await refusal(damaged)).error.message,
      /^the layer is not a valid tar archive: the header at byte 1024 fails its checksum$/,
    );
    const badSize = tarHeader(file('app.jar', jar));
    badSize.write('0000000009x\0', 124, 'latin1');
    assert.match(
      (await refusal(Buffer.concat([tarHeader({ name: 'x' }), badSize]))).error.message,
      /not a valid tar archive/,
    );
    const pax = tarOf([
      { name: 'p', type: 'x', data: Buffer.from('99 path=app.jar\n') },
      file('y', 'y'),
    ]);
    assert.match((await refusal(pax)).error.message, /the pax header at byte 512 is malformed/);
    const cut = tarOf([file('app.jar', Buffer.alloc(2000))]).subarray(0, block + 1000);
    assert.match(
      (await refusal(cut)).error.message,
      /ends early, at byte 1512, in the middle of an entry/,
    );
    const bigPax = tarOf([{ name: 'p', type: 'x', data: Buffer.alloc(1024 * 1024 + 1) }]);
    assert.match(
      (await refusal(bigPax)).error.message,
      /has a 1048577-byte extended header at byte 0; at most 1048576 are read/,
    );
  });

  it('accepts an archive that ends after an entry without its end blocks, as Go readers do', async () => {
    assert.equal(
      (await search(tarOf([file('app.jar', jar)], { end: false }))).result.kind,
      'found',
    );
    assert.deepEqual((await search(new Uint8Array())).result, { kind: 'absent' });
  });

  it('reads every chunk to the end, the padding after the end blocks included', async () => {
    let delivered = 0;
    const archive = Buffer.concat([tarOf([file('app.jar', jar)]), Buffer.alloc(10240 - 3 * block)]);
    const counted = (function* () {
      for (const chunk of chunked(archive, [700])) {
        delivered += chunk.length;
        yield chunk;
      }
    })();
    assert.equal((await search(counted)).result.kind, 'found');
    assert.equal(delivered, archive.length);
  });

  it('gives the same answer however the stream is cut into chunks', async () => {
    const long = `${'x'.repeat(140)}/app.jar`;
    const archive = tarOf([
      { name: 'p', type: 'x', data: paxData({ path: long }) },
      file('ignored', jar),
      file('b', Buffer.alloc(700, 1)),
      { name: '././@LongLink', type: 'L', data: Buffer.from(`${long}.sig\0`) },
      file('c', 'sig'),
    ]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 8 }),
        async (sizes) => {
          const { result, bytes } = await search(chunked(archive, sizes), long);
          assert.deepEqual(result, { kind: 'found', sizeBytes: jar.length });
          assert.deepEqual(bytes, jar);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('streams a 64 MiB file through a slow sink without reading ahead of it', async () => {
    const chunkBytes = 64 * 1024;
    const sizeBytes = 64 * 1024 * 1024;
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    async function* archive() {
      const header = tarHeader({ name: 'app.jar' }, sizeBytes);
      produced += header.length;
      yield header;
      for (let at = 0; at < sizeBytes; at += chunkBytes) {
        produced += chunkBytes;
        yield Buffer.alloc(chunkBytes, at / chunkBytes);
      }
      yield padding(sizeBytes);
      yield Buffer.alloc(2 * block);
    }
    const written = createHash('sha256');
    const sink = new Writable({
      highWaterMark: chunkBytes,
      write(chunk: Buffer, _encoding, done) {
        maxAhead = Math.max(maxAhead, produced - block - consumed);
        written.update(chunk);
        consumed += chunk.length;
        setImmediate(done);
      },
    });
    const expected = createHash('sha256');
    for (let at = 0; at < sizeBytes; at += chunkBytes)
      expected.update(Buffer.alloc(chunkBytes, at / chunkBytes));
    const result = await findFileInTar(archive(), { path: 'app.jar', sink });
    assert.deepEqual(result, { kind: 'found', sizeBytes });
    assert.equal(written.digest('hex'), expected.digest('hex'));
    // The sink's buffer, the chunk being written and the one being read: nowhere near the 64 MiB.
    assert.ok(maxAhead <= 4 * chunkBytes, `read ${maxAhead} bytes ahead of the sink`);
  });

  it('stops waiting for a stalled sink when the signal aborts', { timeout: 10_000 }, async () => {
    const controller = new AbortController();
    // The sink never finishes a write; once it has one, the reader is waiting for it to drain.
    const stalled = new Writable({
      highWaterMark: 1,
      write() {
        setImmediate(() => controller.abort(new Error('deadline')));
      },
    });
    const data = Buffer.alloc(4 * block, 1);
    const running = findFileInTar(toAsync(chunked(tarOf([file('app.jar', data)]), [block])), {
      path: 'app.jar',
      sink: stalled,
      signal: controller.signal,
    });
    await assert.rejects(running, /deadline/);
  });

  it('fails at once when the sink was closed before the file came', {
    timeout: 10_000,
  }, async () => {
    const { sink } = collector();
    sink.destroy();
    await once(sink, 'close');
    await assert.rejects(
      findFileInTar(toAsync([tarOf([file('app.jar', jar)])]), { path: 'app.jar', sink }),
      /the file being extracted was closed before it was written/,
    );
  });

  it("fails with the sink's error when the sink fails", { timeout: 10_000 }, async () => {
    const failing = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, done) {
        done(new Error('ENOSPC: no space left on device'));
      },
    });
    failing.on('error', () => {});
    const data = Buffer.alloc(8 * block, 1);
    await assert.rejects(
      findFileInTar(toAsync(chunked(tarOf([file('app.jar', data)]), [block])), {
        path: 'app.jar',
        sink: failing,
      }),
      /ENOSPC/,
    );
  });
});
