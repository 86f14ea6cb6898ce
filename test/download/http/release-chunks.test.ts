import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { releaseChunks } from '../../../src/download/http/release-chunks.ts';

describe('releaseChunks', () => {
  it('frees a chunk that owns its whole memory', () => {
    const chunk = Buffer.allocUnsafeSlow(64 * 1024);
    releaseChunks([chunk]);
    assert.equal(chunk.byteLength, 0);
    assert.equal(chunk.buffer.detached, true);
  });

  it('leaves views that share their memory with other bytes alone', () => {
    const pooled = Buffer.from('small enough to come from the shared pool');
    const whole = Buffer.allocUnsafeSlow(1024);
    whole.fill(7);
    const head = whole.subarray(0, 512);
    const tail = whole.subarray(512);
    releaseChunks([pooled, head, tail]);
    assert.equal(pooled.toString(), 'small enough to come from the shared pool');
    assert.equal(head.byteLength, 512);
    assert.equal(tail.byteLength, 512);
    assert.equal(
      whole.every((byte) => byte === 7),
      true,
    );
  });
});
