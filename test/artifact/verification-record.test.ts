// The verification record beside a published file, and how publishAtomically orders it
// with the artifact's own rename and modification time.
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TempArtifact } from '../../src/artifact/temp-artifact.ts';
import {
  newRecord,
  readRecord,
  recordPathFor,
  type VerificationRecord,
  writeRecord,
} from '../../src/artifact/verification-record.ts';
import { publishAtomically } from '../../src/publish/publish.ts';
import { makeTempDir, sha256Hex } from '../helpers/tmp.ts';

const record: VerificationRecord = {
  format: 1,
  url: 'https://artifacts.example.com/app.jar',
  sizeBytes: 11,
  sha256: sha256Hex('hello world'),
  jarCheck: 'checked',
  etag: '"v1"',
  lastModified: 'Tue, 24 Nov 2026 10:00:00 GMT',
  verifiedAt: '2026-11-30T12:00:00.000Z',
  loaderVersion: '0.1.0',
};

describe('verification record', () => {
  it('is `.app.jar.verified.json` beside the target, and reads back as written', async () => {
    await using dir = await makeTempDir('record-');
    const target = join(dir.path, 'app.jar');
    assert.equal(recordPathFor(target), join(dir.path, '.app.jar.verified.json'));
    assert.equal(await readRecord(target), undefined, 'none yet');
    await writeRecord(target, record);
    assert.deepEqual(await readRecord(target), record);
    assert.deepEqual(await readdir(dir.path), ['.app.jar.verified.json'], 'no temp file left');
  });

  it("keeps the URL's version selectors, and nothing else of its query", () => {
    const url = new URL(
      'https://b.example/app.jar?versionId=3HL4kq&X-Amz-Signature=deadbeefcafe&X-Amz-Expires=300',
    );
    const version = { etag: undefined, lastModified: undefined };
    const written = newRecord(url, 11, record.sha256, 'checked', version);
    assert.equal(written.url, 'https://b.example/app.jar');
    assert.deepEqual(written.selectors, { versionId: '3HL4kq' });
    assert.doesNotMatch(JSON.stringify(written), /deadbeefcafe|X-Amz-Expires/);
    const plain = newRecord(
      new URL('https://b.example/app.jar?sig=x'),
      11,
      record.sha256,
      'checked',
      version,
    );
    assert.equal('selectors' in plain, false, 'none: no field');
    assert.equal('signedBy' in plain, false, 'no signer without keys: no field');
    const signed = newRecord(url, 11, record.sha256, 'checked', version, 'sha256:ab12');
    assert.equal(signed.signedBy, 'sha256:ab12');
  });

  it('of an oci:// pull: its repository as the url, the reference, both digests and the file; no validators', async () => {
    await using dir = await makeTempDir('record-');
    const target = join(dir.path, 'app.jar');
    const digest = (seed: string) => `sha256:${sha256Hex(seed)}`;
    const oci = {
      repository: 'oci://registry.example/team/app',
      reference: 'oci://registry.example/team/app:1.0',
      manifestDigest: digest('manifest'),
      blobDigest: digest('blob'),
      file: '/app.jar',
    };
    const written = newRecord(oci, 11, record.sha256, 'checked', {
      etag: `"${oci.blobDigest}"`,
      lastModified: undefined,
    });
    assert.deepEqual(
      { ...written, verifiedAt: undefined, loaderVersion: undefined },
      {
        format: 1,
        url: oci.repository,
        sizeBytes: 11,
        sha256: record.sha256,
        jarCheck: 'checked',
        verifiedAt: undefined,
        loaderVersion: undefined,
        reference: oci.reference,
        manifestDigest: oci.manifestDigest,
        blobDigest: oci.blobDigest,
        file: '/app.jar',
      },
    );
    await writeRecord(target, written);
    assert.deepEqual(await readRecord(target), written);
    for (const broken of [
      { ...written, manifestDigest: 'sha256:ABC' },
      { ...written, blobDigest: undefined },
      { ...written, file: 7 },
      { ...written, reference: undefined },
    ]) {
      await writeFile(recordPathFor(target), JSON.stringify(broken));
      assert.equal(await readRecord(target), undefined, JSON.stringify(broken));
    }
  });

  it('ignores anything that is not a valid record: it then vouches for nothing', async () => {
    await using dir = await makeTempDir('record-');
    const target = join(dir.path, 'app.jar');
    const path = recordPathFor(target);
    const invalid: unknown[] = [
      { ...record, format: 2 },
      { ...record, sha256: 'ABC' },
      { ...record, sizeBytes: '11' },
      { ...record, etag: 7 },
      // Validators that could not be sent back as a header (RFC 9110 §5.5).
      { ...record, etag: '"v1"\r\nx-injected: 1' },
      { ...record, etag: '"v1"\n' },
      { ...record, etag: '"v\u0000"' },
      { ...record, etag: '"vé"' },
      { ...record, etag: ' "v1"' },
      { ...record, lastModified: 'Tue, 24 Nov 2026 10:00:00 GMT\r\n' },
      { ...record, lastModified: 'Tue, 24 Nov 2026 10:00:00 GMT\u0085' },
      { ...record, selectors: ['versionId', 'v1'] },
      { ...record, selectors: { versionId: 1 } },
      { ...record, selectors: { sig: 'v1' } },
      { ...record, selectors: null },
      { ...record, signedBy: 7 },
      { ...record, signedBy: ['65DD7E4A6C25C8B0'] },
      [],
      null,
    ];
    for (const value of invalid) {
      await writeFile(path, JSON.stringify(value));
      assert.equal(await readRecord(target), undefined, JSON.stringify(value));
    }
    for (const valid of [
      { ...record, etag: 'W/"v 1\tx"' },
      { ...record, etag: undefined, lastModified: undefined },
      { ...record, selectors: { versionId: 'v1', snapshot: ['a', 'b'] } },
      { ...record, signedBy: '65DD7E4A6C25C8B0' },
    ]) {
      await writeFile(path, JSON.stringify(valid));
      assert.deepEqual(await readRecord(target), JSON.parse(JSON.stringify(valid)));
    }
    await writeFile(path, '{ not json');
    assert.equal(await readRecord(target), undefined);
    await writeFile(path, JSON.stringify({ ...record, padding: 'x'.repeat(20_000) }));
    assert.equal(await readRecord(target), undefined, 'far too large to be a record');
    await writeFile(join(dir.path, 'elsewhere.json'), JSON.stringify(record));
    await writeFile(path, '');
    await mkdir(join(dir.path, 'sub'));
    const linked = join(dir.path, 'sub', 'app.jar');
    await symlink(join(dir.path, 'elsewhere.json'), recordPathFor(linked));
    assert.equal(await readRecord(linked), undefined, 'a symlink is not followed');
  });

  it('publishAtomically writes the record and the modification time with the file', async () => {
    await using dir = await makeTempDir('record-');
    const target = join(dir.path, 'app.jar');
    const temp = await TempArtifact.create(target);
    await temp.append([Buffer.from('hello world')]);
    const modifiedAt = new Date('2026-11-24T10:00:00Z');
    await publishAtomically(temp, target, { modifiedAt, record });
    assert.equal(await readFile(target, 'utf8'), 'hello world');
    assert.equal((await stat(target)).mtimeMs, modifiedAt.getTime());
    assert.deepEqual(await readRecord(target), record);
    assert.deepEqual((await readdir(dir.path)).sort(), ['.app.jar.verified.json', 'app.jar']);
  });

  it('when the rename fails, no record is left to vouch for the file in place', async () => {
    await using dir = await makeTempDir('record-');
    const target = join(dir.path, 'app.jar');
    await writeRecord(target, { ...record, sha256: sha256Hex('older') });
    // A folder at the target: rename(2) of a file over it fails (EISDIR).
    await mkdir(target);
    const temp = await TempArtifact.create(target);
    await temp.append([Buffer.from('hello world')]);
    await assert.rejects(
      publishAtomically(temp, target, { modifiedAt: new Date(), record }),
      (error: Error & { code?: string }) => error.code === 'ERR_WRITE',
    );
    await temp.discard();
    assert.equal(await readRecord(target), undefined);
  });
});
