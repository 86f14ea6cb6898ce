// Archives are written by yazl, an independent zip writer, so the reader is never
// checked only against its own idea of the format. Corruptions are byte patches.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { ZipFile } from 'yazl';
import { buildJar, CLASS_BYTES, MANIFEST, MTIME } from '../../scripts/jar.ts';
import { IntegrityError } from '../../src/errors.ts';
import { type ByteSource, checkZipStructure, verifyZipStructure } from '../../src/verify/zip.ts';
import { isUnsafeEntryName } from '../../src/verify/zip-entry-name.ts';
import { withFileSource } from '../../src/verify/zip-source.ts';
import { jarWithEntryName } from '../helpers/jar.ts';
import { makeTempDir, type TempDir } from '../helpers/tmp.ts';

/** The classic EOCD is the last 22 bytes when there is no archive comment. */
function eocdOffsetOf(bytes: Buffer): number {
  const offset = bytes.length - 22;
  assert.equal(bytes.readUInt32LE(offset), 0x06054b50);
  return offset;
}

/** Where the central directory record for `name` starts (the name follows 46 fixed bytes). */
function centralRecordOffset(bytes: Buffer, name: string): number {
  const eocd = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const centralDirectoryOffset = bytes.readUInt32LE(eocd + 16);
  const record = bytes.indexOf(Buffer.from(name), centralDirectoryOffset) - 46;
  assert.equal(bytes.readUInt32LE(record), 0x02014b50);
  return record;
}

function memorySource(bytes: Buffer): ByteSource {
  return {
    sizeBytes: bytes.length,
    read: async (position, length) => {
      // Out-of-range reads are reader bugs: fail loudly instead of returning short data.
      if (!Number.isSafeInteger(position) || position < 0 || position + length > bytes.length) {
        throw new RangeError(`read of ${length} bytes at ${position} outside ${bytes.length}`);
      }
      return Buffer.from(bytes.subarray(position, position + length));
    },
  };
}

function isIntegrity(pattern: RegExp, reason?: string) {
  return (error: unknown): true => {
    assert.ok(error instanceof IntegrityError, `expected IntegrityError, got ${String(error)}`);
    assert.equal(error.code, 'ERR_INTEGRITY');
    assert.equal(error.exitCode, 6);
    assert.match(error.message, pattern);
    if (reason !== undefined) assert.equal(error.details.reason, reason);
    return true;
  };
}

describe('verifyZipStructure', () => {
  let dir: TempDir;
  let fileCount = 0;
  before(async () => {
    dir = await makeTempDir('zip-verify-');
  });
  after(async () => {
    await dir.cleanup();
  });

  async function write(bytes: Buffer): Promise<string> {
    const path = join(dir.path, `archive-${fileCount++}.jar`);
    await writeFile(path, bytes);
    return path;
  }

  async function rejects(bytes: Buffer, pattern: RegExp, reason?: string): Promise<void> {
    await assert.rejects(verifyZipStructure(await write(bytes)), isIntegrity(pattern, reason));
  }

  it('accepts a JAR with a manifest and a class and counts its entries', async () => {
    const bytes = await buildJar({ extra: { 'com/example/Util.class': CLASS_BYTES } });
    const summary = await verifyZipStructure(await write(bytes));
    const eocd = eocdOffsetOf(bytes);
    assert.deepEqual(summary, {
      entries: 4,
      centralDirectoryOffset: bytes.readUInt32LE(eocd + 16),
      centralDirectorySize: bytes.readUInt32LE(eocd + 12),
      zip64: false,
    });
    assert.equal(summary.centralDirectoryOffset + summary.centralDirectorySize, eocd);
  });

  it('accepts a zip64 archive and reads its 64-bit end records and extra fields', async () => {
    const bytes = await buildJar({ zip64Entries: true, zip64End: true });
    const eocd = eocdOffsetOf(bytes);
    // yazl saturates the classic fields, so the real values can only come from zip64.
    assert.equal(bytes.readUInt16LE(eocd + 10), 0xffff);
    assert.equal(bytes.readUInt32LE(eocd + 16), 0xffffffff);
    const summary = await verifyZipStructure(await write(bytes));
    assert.equal(summary.zip64, true);
    assert.equal(summary.entries, 3);
    assert.equal(summary.centralDirectoryOffset + summary.centralDirectorySize, eocd - 20 - 56);
  });

  it('resolves 0xFFFFFFFF offsets from zip64 extra fields without zip64 end records', async () => {
    const bytes = await buildJar({ zip64Entries: true });
    const summary = await verifyZipStructure(await write(bytes));
    assert.deepEqual([summary.entries, summary.zip64], [3, false]);
  });

  it('accepts an archive with a trailing comment', async () => {
    const comment = 'built by the release pipeline, see https://example.invalid/build/42';
    const bytes = await buildJar({ comment });
    assert.equal(bytes.subarray(-comment.length).toString(), comment);
    const summary = await verifyZipStructure(await write(bytes));
    assert.equal(summary.entries, 3);
    assert.equal(
      summary.centralDirectoryOffset + summary.centralDirectorySize,
      bytes.length - 22 - comment.length,
    );
  });

  it('rejects random bytes, gzip, an empty file and a 10-byte file as not a zip', async () => {
    const inputs = [
      randomBytes(200_000),
      gzipSync(Buffer.from('definitely not a jar\n'.repeat(100))),
      Buffer.alloc(0),
      Buffer.from('0123456789'),
    ];
    for (const bytes of inputs) {
      await rejects(bytes, /^not a zip archive: no end-of-central-directory record/, 'no-eocd');
    }
  });

  it('rejects a JAR with the last bytes cut off', async () => {
    const bytes = await buildJar();
    for (const cut of [1, 10, 22, 40, Math.floor(bytes.length / 2)]) {
      await rejects(bytes.subarray(0, bytes.length - cut), /^not a zip archive: no end-of-central/);
    }
  });

  it('rejects every proper prefix of a JAR', async () => {
    const bytes = await buildJar();
    for (let length = 0; length < bytes.length; length++) {
      await assert.rejects(
        checkZipStructure(memorySource(bytes.subarray(0, length))),
        isIntegrity(/^not a zip archive/),
      );
    }
  });

  it('rejects a JAR with bytes cut out of the middle', async () => {
    const bytes = await buildJar({ extra: { 'data.txt': randomBytes(4096) }, compress: false });
    const middle = Math.floor(bytes.length / 2);
    await rejects(
      Buffer.concat([bytes.subarray(0, middle - 1000), bytes.subarray(middle + 1000)]),
      /^corrupt zip archive: central directory at offset \d+ size \d+ runs past the end-of-central-directory record/,
      'central-directory-out-of-bounds',
    );
  });

  it('rejects an entry with a ".." segment and names it', async () => {
    const bytes = await jarWithEntryName('../evil', { compress: false });
    await rejects(
      bytes,
      /^unsafe entry name in archive: "\.\.\/evil" \(absolute paths and '\.\.' segments are refused\)/,
      'unsafe-entry-name',
    );
  });

  it('rejects an absolute entry name', async () => {
    const bytes = await jarWithEntryName('/etc/passwd', { compress: false });
    await rejects(bytes, /^unsafe entry name in archive: "\/etc\/passwd"/);
  });

  it('shows at most about 100 characters of a long entry name', async () => {
    const bytes = await jarWithEntryName(`${'a'.repeat(300)}/../x`, { compress: false });
    await assert.rejects(verifyZipStructure(await write(bytes)), (error: unknown) => {
      assert.ok(error instanceof IntegrityError);
      assert.ok(error.message.length < 200, error.message);
      assert.equal(error.details.entryName, `${'a'.repeat(100)}…`);
      return true;
    });
  });

  it('rejects an archive with no entries', async () => {
    const zip = new ZipFile();
    zip.end();
    const bytes = await buffer(zip.outputStream);
    assert.equal(bytes.length, 22);
    await rejects(bytes, /^empty zip archive: the archive has no entries/, 'no-entries');
  });

  it('rejects an end record that declares more entries than the directory holds', async () => {
    const bytes = Buffer.from(await buildJar());
    const eocd = eocdOffsetOf(bytes);
    bytes.writeUInt16LE(10, eocd + 8);
    bytes.writeUInt16LE(10, eocd + 10);
    await rejects(
      bytes,
      /^corrupt zip archive: declared 10 entries, found 3\b/,
      'entry-count-mismatch',
    );
  });

  it('rejects multi-disk archives', async () => {
    const bytes = Buffer.from(await buildJar());
    bytes.writeUInt16LE(1, eocdOffsetOf(bytes) + 4);
    await rejects(bytes, /^unsupported zip archive: multi-disk/, 'multi-disk');
  });

  it('rejects zip64 end records that disagree with the classic record', async () => {
    const bytes = Buffer.from(await buildJar({ zip64End: true }));
    bytes.writeUInt16LE(2, eocdOffsetOf(bytes) + 10);
    await rejects(
      bytes,
      /^corrupt zip archive: .*disagree on entries \(2 vs 3\)/,
      'zip64-mismatch',
    );
  });

  it('rejects a 0xFFFFFFFF size with no zip64 extra field to resolve it', async () => {
    const bytes = Buffer.from(await buildJar());
    const eocd = eocdOffsetOf(bytes);
    const firstRecord = bytes.readUInt32LE(eocd + 16);
    assert.equal(bytes.readUInt32LE(firstRecord), 0x02014b50);
    bytes.writeUInt32LE(0xffffffff, firstRecord + 20);
    await rejects(
      bytes,
      /^corrupt zip archive: .*"META-INF\/".*no zip64 extra field/,
      'zip64-extra-missing',
    );
  });

  it('rejects a directory record whose lengths run past the directory', async () => {
    const bytes = Buffer.from(await buildJar());
    const record = centralRecordOffset(bytes, 'com/example/Main.class');
    bytes.writeUInt16LE(1000, record + 32);
    await rejects(
      bytes,
      /^corrupt zip archive: central directory record 2 at offset \d+ is \d+ bytes long and runs past/,
      'central-directory-record-overflow',
    );
  });

  it('rejects a zip64 extra field that is too short or overruns the extra area', async () => {
    const bytes = await buildJar({ zip64Entries: true });
    const record = centralRecordOffset(bytes, 'META-INF/MANIFEST.MF');
    const extraStart = record + 46 + bytes.readUInt16LE(record + 28);
    // Header id 0x0001 with 24 bytes of data: uncompressed size, compressed size, offset.
    const block = bytes.indexOf(Buffer.from([1, 0, 24, 0]), extraStart);
    assert.ok(block >= extraStart && block < extraStart + bytes.readUInt16LE(record + 30));

    const short = Buffer.from(bytes);
    short.writeUInt16LE(16, block + 2);
    await rejects(
      short,
      /too short for uncompressedSize, compressedSize, localHeaderOffset/,
      'zip64-extra-short',
    );

    const overrun = Buffer.from(bytes);
    overrun.writeUInt16LE(200, block + 2);
    await rejects(overrun, /"META-INF\/MANIFEST\.MF".*no zip64 extra field/, 'zip64-extra-missing');
  });

  it('rejects a local header offset whose data would overlap the central directory', async () => {
    const bytes = Buffer.from(await buildJar());
    const record = centralRecordOffset(bytes, 'com/example/Main.class');
    bytes.writeUInt32LE(bytes.readUInt32LE(eocdOffsetOf(bytes) + 16) - 10, record + 42);
    await rejects(
      bytes,
      /^corrupt zip archive: entry "com\/example\/Main\.class" has its local header at offset \d+ .* run past the central directory start/,
      'local-header-out-of-bounds',
    );
  });

  it('rejects a first entry whose local header signature is wrong', async () => {
    const bytes = Buffer.from(await buildJar());
    assert.equal(bytes.readUInt32LE(0), 0x04034b50);
    bytes.writeUInt32LE(0x04034b51, 0);
    await rejects(
      bytes,
      /^corrupt zip archive: the local header of entry "META-INF\/" at offset 0 has signature 0x04034b51/,
      'bad-local-header-signature',
    );
  });

  it('rejects junk appended after the end record', async () => {
    const bytes = Buffer.concat([await buildJar(), Buffer.from('trailing junk')]);
    await rejects(
      bytes,
      /^not a zip archive: .*comment length that does not reach the end/,
      'no-eocd',
    );
  });

  it('rejects bytes prepended to the archive', async () => {
    const bytes = Buffer.concat([
      Buffer.from('#!/bin/sh\nexec java -jar "$0"\n'),
      await buildJar(),
    ]);
    await rejects(
      bytes,
      /^corrupt zip archive: central directory record 0 at offset \d+ has signature/,
    );
  });

  it('reads only the tail and the central directory of a 64 MiB archive', async () => {
    const zip = new ZipFile();
    zip.addBuffer(Buffer.from(MANIFEST), 'META-INF/MANIFEST.MF', { mtime: MTIME });
    zip.addBuffer(Buffer.alloc(64 * 1024 * 1024, 7), 'big.bin', { mtime: MTIME, compress: false });
    zip.end();
    const path = await write(await buffer(zip.outputStream));

    let reads = 0;
    let bytesRead = 0;
    const { summary, sizeBytes } = await withFileSource(path, async (source) => {
      const counting: ByteSource = {
        sizeBytes: source.sizeBytes,
        read: (position, length) => {
          reads++;
          bytesRead += length;
          return source.read(position, length);
        },
      };
      return { summary: await checkZipStructure(counting), sizeBytes: source.sizeBytes };
    });
    assert.equal(summary.entries, 2);
    assert.ok(sizeBytes > 64 * 1024 * 1024);
    // The tail window is at most 22 + 65535 bytes; the rest is a few hundred.
    assert.ok(bytesRead < 70_000, `read ${bytesRead} bytes in ${reads} reads`);
    assert.ok(reads <= 5, `${reads} reads`);
  });

  it('stops between reads once the signal is aborted', async () => {
    const bytes = await buildJar();
    const path = await write(bytes);
    await assert.rejects(verifyZipStructure(path, AbortSignal.abort()), { name: 'AbortError' });

    const controller = new AbortController();
    const source = memorySource(bytes);
    let reads = 0;
    const abortingSource: ByteSource = {
      sizeBytes: source.sizeBytes,
      read: (position, length) => {
        reads++;
        controller.abort();
        return source.read(position, length);
      },
    };
    await assert.rejects(checkZipStructure(abortingSource, controller.signal), {
      name: 'AbortError',
    });
    assert.equal(reads, 1);
  });

  it('throws only IntegrityError for arbitrarily damaged archives', async () => {
    const bytes = await buildJar({ extra: { 'a/b.txt': Buffer.from('hello') }, zip64End: true });
    const damage = fc.array(
      fc.record({ at: fc.nat({ max: bytes.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }),
      { minLength: 1, maxLength: 8 },
    );
    await fc.assert(
      fc.asyncProperty(damage, async (patches) => {
        const damaged = Buffer.from(bytes);
        for (const { at, value } of patches) damaged[at] = value;
        try {
          await checkZipStructure(memorySource(damaged));
        } catch (error) {
          if (!(error instanceof IntegrityError)) throw error;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves I/O errors such as a missing file to the caller', async () => {
    await assert.rejects(verifyZipStructure(join(dir.path, 'missing.jar')), { code: 'ENOENT' });
  });
});

describe('isUnsafeEntryName', () => {
  const cases: [string, boolean][] = [
    ['META-INF/MANIFEST.MF', false],
    ['com/example/Main.class', false],
    ['foo..bar', false],
    ['a/..b/c', false],
    ['...', false],
    ['./a', false],
    ['dir/', false],
    ['../evil', true],
    ['a/../b', true],
    ['a/..', true],
    ['..', true],
    ['a\\..\\b', true],
    ['..\\evil', true],
    ['/etc/passwd', true],
    ['\\windows\\system32', true],
    ['C:evil', true],
    ['c:/evil', true],
  ];
  for (const [name, unsafe] of cases) {
    it(`${JSON.stringify(name)} is ${unsafe ? 'unsafe' : 'safe'}`, () => {
      assert.equal(isUnsafeEntryName(name), unsafe);
    });
  }
});
