import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createGzip, createZstdCompress, gzipSync } from 'node:zlib';
import { IntegrityError } from '../../src/errors.ts';
import { type Compression, findFileInLayer } from '../../src/extract/layer-stream.ts';
import type { TarSearchResult } from '../../src/extract/tar-file.ts';
import { file, gnuTar, tarOf } from '../helpers/tar.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const jar = randomBytes(100_000);

async function searchLayer(
  blob: Readable | AsyncIterable<Uint8Array>,
  compression: Compression,
  path: string,
): Promise<{ result: TarSearchResult; sha256: string }> {
  const hash = createHash('sha256');
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done();
    },
  });
  const result = await findFileInLayer(blob, compression, { path, sink });
  return { result, sha256: hash.digest('hex') };
}

const jarSha256 = createHash('sha256').update(jar).digest('hex');

/** A folder holding `files` (relative paths), for GNU tar to pack. */
async function folderWith(root: string, files: Record<string, Uint8Array>): Promise<void> {
  for (const [path, data] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), data);
  }
}

describe('findFileInLayer with archives GNU tar writes', () => {
  // ustar splits a long path into a prefix and a name of at most 100 characters each part.
  const ustarPath = `${'a'.repeat(90)}/${'b'.repeat(50)}/app.jar`;
  const longPath = `${'c'.repeat(150)}/${'d'.repeat(140)}/${'e'.repeat(120)}.jar`;

  for (const format of ['ustar', 'pax', 'gnu'] as const) {
    it(`finds files in --format=${format}, names over 100 characters included`, async () => {
      await using dir = await makeTempDir();
      const paths = format === 'ustar' ? ['app.jar', ustarPath] : ['app.jar', ustarPath, longPath];
      await folderWith(dir.path, {
        'README.md': Buffer.from('x'),
        ...Object.fromEntries(paths.map((path) => [path, jar])),
      });
      for (const names of [
        ['.'],
        ['README.md', ...paths.map((path) => path.split('/')[0] ?? path)],
      ]) {
        for (const path of paths) {
          const { result, sha256 } = await searchLayer(
            gnuTar(dir.path, [`--format=${format}`], names),
            'none',
            path,
          );
          assert.deepEqual(
            result,
            { kind: 'found', sizeBytes: jar.length },
            `${format} ${names.join(' ')} ${path}`,
          );
          assert.equal(sha256, jarSha256);
        }
      }
    });
  }

  it('finds the file in gzip and zstd layers', async () => {
    await using dir = await makeTempDir();
    await folderWith(dir.path, { 'app.jar': jar, 'lib/other.jar': randomBytes(5000) });
    const gzip = await searchLayer(
      gnuTar(dir.path, ['--format=pax', '-z'], ['.']),
      'gzip',
      'app.jar',
    );
    assert.deepEqual(gzip.result, { kind: 'found', sizeBytes: jar.length });
    assert.equal(gzip.sha256, jarSha256);
    const zstd = Readable.from(gnuTar(dir.path, ['--format=pax'], ['.'])).pipe(
      createZstdCompress(),
    );
    assert.equal((await searchLayer(zstd, 'zstd', 'app.jar')).sha256, jarSha256);
  });

  it('refuses a symbolic or hard link GNU tar stored at the path', async () => {
    await using dir = await makeTempDir();
    // Sorted first, so GNU tar stores it as the file and the other name as the link.
    await folderWith(dir.path, { 'a-real.jar': jar });
    await symlink('/etc/passwd', join(dir.path, 'app.jar'));
    await mkdir(join(dir.path, 'hard'));
    await link(join(dir.path, 'a-real.jar'), join(dir.path, 'hard', 'app.jar'));
    for (const [path, what] of [
      ['app.jar', 'a symbolic link'],
      ['hard/app.jar', 'a hard link'],
    ] as const) {
      await assert.rejects(
        searchLayer(gnuTar(dir.path, ['--format=gnu', '--sort=name'], ['.']), 'none', path),
        (error: Error) => {
          assert.ok(error instanceof IntegrityError);
          assert.equal(
            error.message,
            `/${path} in the layer is ${what}, not a regular file; refusing it`,
          );
          return true;
        },
      );
    }
  });

  it('skips a sparse file before the JAR, in GNU and pax sparse formats', async () => {
    await using dir = await makeTempDir();
    await folderWith(dir.path, { 'z/app.jar': jar });
    // Eight data runs among holes: more than a GNU header holds, so extension blocks follow it.
    const sparse = await open(join(dir.path, 'a.sparse'), 'w');
    for (let run = 0; run < 8; run += 1)
      await sparse.write(Buffer.alloc(4096, 65 + run), 0, 4096, run * 1024 * 1024);
    await sparse.truncate(9 * 1024 * 1024);
    await sparse.close();
    for (const format of ['gnu', 'pax']) {
      const layer = gnuTar(
        dir.path,
        [`--format=${format}`, '--sparse', '--sort=name'],
        ['a.sparse', 'z'],
      );
      assert.equal((await searchLayer(layer, 'none', 'z/app.jar')).sha256, jarSha256, format);
    }
  });

  it('reports a whiteout GNU tar packed as hiding the file', async () => {
    await using dir = await makeTempDir();
    await folderWith(dir.path, { 'opt/.wh.app.jar': new Uint8Array() });
    const { result } = await searchLayer(
      gnuTar(dir.path, ['--format=pax', '-z'], ['.']),
      'gzip',
      'opt/app.jar',
    );
    assert.deepEqual(result, { kind: 'hidden', by: './opt/.wh.app.jar' });
  });
});

describe('findFileInLayer', () => {
  it('refuses data that is not what its compression says, naming it', async () => {
    const tar = tarOf([file('app.jar', jar)]);
    await assert.rejects(searchLayer(Readable.from([tar]), 'gzip', 'app.jar'), (error: Error) => {
      assert.ok(error instanceof IntegrityError);
      assert.match(
        error.message,
        /^the layer is not valid gzip data \(incorrect header check, Z_DATA_ERROR\), though its media type says it is$/,
      );
      return true;
    });
    const cut = gzipSync(tar).subarray(0, 5000);
    await assert.rejects(
      searchLayer(Readable.from([cut]), 'gzip', 'app.jar'),
      /not valid gzip data \(unexpected end of file/,
    );
    await assert.rejects(
      searchLayer(Readable.from([tar]), 'zstd', 'app.jar'),
      /not valid zstd data/,
    );
  });

  it('passes tar errors through as they are', async () => {
    const damaged = tarOf([file('app.jar', jar)]);
    damaged.writeUInt8(damaged.readUInt8(10) ^ 1, 10);
    await assert.rejects(
      searchLayer(Readable.from([gzipSync(damaged)]), 'gzip', 'app.jar'),
      /fails its checksum/,
    );
  });

  it('decompresses no faster than a slow sink takes the file', async () => {
    const chunkBytes = 64 * 1024;
    const sizeBytes = 16 * 1024 * 1024;
    const payload = randomBytes(sizeBytes);
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    const tar = tarOf([file('app.jar', payload)]);
    const source = Readable.from(
      (function* () {
        for (let at = 0; at < tar.length; at += chunkBytes) {
          produced += Math.min(chunkBytes, tar.length - at);
          yield tar.subarray(at, at + chunkBytes);
        }
      })(),
    ).pipe(createGzip({ level: 1 }));
    const sink = new Writable({
      highWaterMark: chunkBytes,
      write(chunk: Buffer, _encoding, done) {
        maxAhead = Math.max(maxAhead, produced - consumed);
        consumed += chunk.length;
        setImmediate(done);
      },
    });
    const result = await findFileInLayer(source, 'gzip', { path: 'app.jar', sink });
    assert.deepEqual(result, { kind: 'found', sizeBytes });
    assert.ok(maxAhead <= 2 * 1024 * 1024, `read ${maxAhead} bytes ahead of the sink`);
  });

  for (const compression of ['none', 'gzip'] as const) {
    it(`stops when the signal aborts while the blob stalls (${compression})`, {
      timeout: 10_000,
    }, async () => {
      const controller = new AbortController();
      const tar = tarOf([file('app.jar', jar)]);
      const bytes = compression === 'gzip' ? gzipSync(tar) : tar;
      // The first half arrives, then nothing more: a stalled connection.
      const stalled = new Readable({ read() {} });
      stalled.push(bytes.subarray(0, bytes.length / 2));
      const sink = new Writable({
        write(_chunk, _encoding, done) {
          setImmediate(() => controller.abort(new Error('deadline')));
          done();
        },
      });
      await assert.rejects(
        findFileInLayer(stalled, compression, { path: 'app.jar', sink, signal: controller.signal }),
        /deadline|aborted/,
      );
      assert.ok(stalled.destroyed, 'the blob stream is released');
    });
  }

  it('stops when the signal aborts while the sink is full', { timeout: 10_000 }, async () => {
    const controller = new AbortController();
    const stalled = new Writable({
      highWaterMark: 1,
      write() {
        setImmediate(() => controller.abort(new Error('deadline')));
      },
    });
    const layer = Readable.from([gzipSync(tarOf([file('app.jar', jar)]))]);
    await assert.rejects(
      findFileInLayer(layer, 'gzip', { path: 'app.jar', sink: stalled, signal: controller.signal }),
      /deadline|aborted/,
    );
    assert.ok(layer.destroyed, 'the blob stream is released');
  });
});
