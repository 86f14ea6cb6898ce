import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildJar } from '../../scripts/jar.ts';
import { zipEvidence } from '../../src/verify/zip-sniff.ts';
import type { ByteSource } from '../../src/verify/zip-source.ts';

function sourceOf(bytes: Buffer): ByteSource {
  return {
    sizeBytes: bytes.length,
    read: async (position, length) => {
      assert.ok(position >= 0 && position + length <= bytes.length, 'read within the file');
      return bytes.subarray(position, position + length);
    },
  };
}

const signature = (third: number) => Buffer.from([0x50, 0x4b, third, third + 1]);

describe('zipEvidence', () => {
  it('finds a local header, an empty archive and the spanned marker at the start', async () => {
    const rest = Buffer.alloc(100, 0x20);
    assert.equal(await zipEvidence(sourceOf(Buffer.concat([signature(3), rest]))), 'local-header');
    assert.equal(await zipEvidence(sourceOf(Buffer.concat([signature(5), rest]))), 'empty-archive');
    assert.equal(
      await zipEvidence(sourceOf(Buffer.concat([signature(7), rest]))),
      'spanned-marker',
    );
  });

  it('finds an end record within the last 64 KiB + 22 bytes, and not before', async () => {
    const jar = await buildJar({ payloadBytes: 1024 });
    const prefixed = Buffer.concat([Buffer.from('#!/bin/sh\n'), jar]);
    assert.equal(await zipEvidence(sourceOf(prefixed)), 'end-record');
    const early = Buffer.concat([Buffer.alloc(10), signature(5), Buffer.alloc(0xffff + 22)]);
    assert.equal(await zipEvidence(sourceOf(early)), undefined);
    const inReach = Buffer.concat([Buffer.alloc(10), signature(5), Buffer.alloc(0xffff + 18)]);
    assert.equal(await zipEvidence(sourceOf(inReach)), 'end-record');
  });

  it('finds nothing in text, gzip-like bytes, or files shorter than a signature', async () => {
    assert.equal(
      await zipEvidence(sourceOf(Buffer.from('<html>502 Bad Gateway</html>'))),
      undefined,
    );
    assert.equal(await zipEvidence(sourceOf(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]))), undefined);
    assert.equal(await zipEvidence(sourceOf(Buffer.from('PK'))), undefined);
    assert.equal(await zipEvidence(sourceOf(Buffer.alloc(0))), undefined);
  });
});
