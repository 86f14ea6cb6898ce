import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TempArtifact } from '../../src/artifact/temp-artifact.ts';
import type { LoaderConfig } from '../../src/config/types.ts';
import { download, firstPartOf } from '../../src/download/download.ts';
import { revalidate } from '../../src/download/revalidate/revalidate.ts';
import { configFor, type DownloadKit, downloadKit } from '../helpers/download-kit.ts';
import { type ArtifactServer, startArtifactServer } from '../helpers/fault-server.ts';
import { makeTempDir, randomBytesBuffer, sha256Hex } from '../helpers/tmp.ts';

const signal = () => AbortSignal.timeout(10_000);
/** In parts: the fault server's 256 KiB artifact is then four parts of 64 KiB. */
const inParts: Partial<LoaderConfig> = { connections: 4, parallelThresholdBytes: 1 };

/** Runs the download stage into a fresh temp file; returns the report and the file's bytes. */
async function downloadInto(kit: DownloadKit, handedOver?: Parameters<typeof download>[4]) {
  await using dir = await makeTempDir('download-');
  const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
  try {
    const report = await download(kit.config, kit.session, temp, signal(), handedOver);
    const bytes = await readFile(temp.path);
    assert.equal(temp.digestHex(), sha256Hex(bytes), 'the digest is of the bytes on disk');
    return { report, bytes };
  } finally {
    await temp.discard();
  }
}

/** Progress events only go up, and the last is the whole file: 100%. */
function assertProgressTo(kit: DownloadKit, totalBytes: number): void {
  const reported = kit.named('progress').map((event) => Number(event.bytes));
  assert.deepEqual(
    reported,
    [...reported].sort((a, b) => a - b),
  );
  const last = kit.named('progress').at(-1);
  assert.deepEqual(
    { bytes: last?.bytes, totalBytes: last?.totalBytes, percent: last?.percent },
    { bytes: totalBytes, totalBytes, percent: 100 },
  );
}

function versionOf(server: ArtifactServer) {
  return { etag: server.etag ?? undefined, lastModified: server.lastModified ?? undefined };
}

describe('download', () => {
  it('on one connection when parts are not configured: one request, no Range', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length));
    assert.equal(firstPartOf(kit.config, kit.target.expectedSizeBytes), undefined);
    const { report, bytes } = await downloadInto(kit);
    assert.deepEqual(bytes, server.artifact);
    assert.deepEqual(report, { resumedBytes: 0, version: versionOf(server) });
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0]?.headers.range, undefined);
    assert.deepEqual(kit.names(), []);
    assertProgressTo(kit, server.artifact.length);
  });

  it('on one connection when the artifact is below the parallel threshold', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(
      configFor(server.url(), server.artifact.length, {
        connections: 4,
        parallelThresholdBytes: server.artifact.length + 1,
      }),
    );
    assert.equal(firstPartOf(kit.config, kit.target.expectedSizeBytes), undefined);
    const { bytes } = await downloadInto(kit);
    assert.deepEqual(bytes, server.artifact);
    assert.equal(server.requests.length, 1);
  });

  it('in parts when the server shows it can: a parts event, and the version is part 0’s', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length, inParts));
    assert.deepEqual(firstPartOf(kit.config, kit.target.expectedSizeBytes), {
      index: 0,
      firstByte: 0,
      lastByte: 65_535,
    });
    const { report, bytes } = await downloadInto(kit);
    assert.deepEqual(bytes, server.artifact);
    assert.deepEqual(report, { resumedBytes: 0, version: versionOf(server) });
    assert.deepEqual(kit.names(), ['parts']);
    const [parts] = kit.named('parts');
    assert.deepEqual(
      { parts: parts?.parts, connections: parts?.connections, partBytes: parts?.partBytes },
      { parts: 4, connections: 4, partBytes: 65_536 },
    );
    assert.equal(server.requests.length, 4);
    assertProgressTo(kit, server.artifact.length);
  });

  it('a 200 to part 0 is the one-connection download: streamed, not asked for again', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length, inParts));
    server.schedule({ kind: 'ignore-range' });
    const { bytes } = await downloadInto(kit);
    assert.deepEqual(bytes, server.artifact);
    assert.equal(server.requests.length, 1);
    assert.deepEqual(kit.names(), ['single-connection']);
    assert.equal(
      kit.named('single-connection')[0]?.reason,
      'the server answered a Range request with 200',
    );
  });

  it('a 206 that proves no version: one connection from zero, asked for again without Range', async () => {
    await using server = await startArtifactServer();
    server.setArtifact(server.artifact, { etag: 'W/"weak"', lastModified: null });
    await using kit = downloadKit(configFor(server.url(), server.artifact.length, inParts));
    const { bytes } = await downloadInto(kit);
    assert.deepEqual(bytes, server.artifact);
    assert.deepEqual(
      server.requests.map((request) => request.headers.range),
      ['bytes=0-65535', undefined],
    );
    assert.deepEqual(kit.names(), ['single-connection']);
  });

  it('a part of another version: the parts are discarded and the file fetched again on one connection', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length, inParts));
    const changed = randomBytesBuffer(server.artifact.length);
    server.scheduleForRange(196_608, { kind: 'new-version', body: changed });
    const { report, bytes } = await downloadInto(kit);
    assert.deepEqual(bytes, changed);
    assert.deepEqual(kit.names(), ['parts', 'restart']);
    const [restart] = kit.named('restart');
    assert.equal(restart?.fallback, 'single-connection');
    assert.equal(restart?.level, 'warn');
    assert.match(String(restart?.reason), /\(part \d\) with the whole object \(200\)/);
    const discarded = Number(restart?.discardedBytes);
    // At most the three other parts: the one of another version wrote nothing.
    assert.ok(discarded >= 0 && discarded <= 196_608, `discarded ${discarded} bytes`);
    assert.equal(
      restart?.msg,
      `discarding ${discarded} bytes of parts, starting over on one connection: ${restart?.reason}`,
    );
    // The fallback starts from zero: its request has no Range.
    assert.equal(server.requests.at(-1)?.headers.range, undefined);
    assert.equal(server.requests.at(-1)?.status, 200);
    assert.equal(report.resumedBytes, 0);
  });

  it('takes over a 206 to part 0 handed over by revalidation: part 0 is not asked for again', async () => {
    await using server = await startArtifactServer();
    await using kit = downloadKit(configFor(server.url(), server.artifact.length, inParts));
    const firstPart = firstPartOf(kit.config, kit.target.expectedSizeBytes);
    const stale = { etag: '"stale"', lastModified: undefined };
    const answer = await revalidate(kit.session, stale, firstPart, signal());
    assert.equal(answer.kind, 'changed');
    const { report, bytes } = await downloadInto(kit, answer.response);
    assert.deepEqual(bytes, server.artifact);
    assert.equal(report.version.etag, server.etag);
    assert.deepEqual(
      server.requests.map((request) => request.headers.range?.replace(/-\d*$/, '-')).sort(),
      ['bytes=0-', 'bytes=131072-', 'bytes=196608-', 'bytes=65536-'],
    );
    assert.deepEqual(kit.names(), ['parts']);
  });
});
