import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { attemptPart } from '../../../src/download/parts/attempt.ts';
import type { PartState } from '../../../src/download/parts/part.ts';
import { attemptKit } from '../../helpers/attempt-kit.ts';
import { randomBytesBuffer } from '../../helpers/tmp.ts';

const artifact = randomBytesBuffer(8_000);
const etag = '"v1"';
const validator = { etag, lastModified: undefined };

/** A range server over the artifact, an attempt context and an empty temp file. */
const partAttempt = () => attemptKit('part-attempt-', artifact, etag);

/** Part 1 of four (bytes 2000-3999), `writtenBytes` of it already in place. */
function partOne(writtenBytes = 0): PartState {
  return { part: { index: 1, firstByte: 2_000, lastByte: 3_999 }, writtenBytes, resumedBytes: 0 };
}

const signal = () => AbortSignal.timeout(5_000);

describe('attemptPart', () => {
  it('writes the bytes asked for in place, resuming after those already written', async () => {
    await using kit = await partAttempt();
    const { server, context, events, temp } = kit;
    const state = partOne(500);
    await temp.writeAt([artifact.subarray(2_000, 2_500)], 2_000);
    const result = await attemptPart(context, temp, state, validator, signal());
    assert.equal(result, undefined);
    assert.equal(server.headers[0]?.range, 'bytes=2500-3999');
    assert.equal(server.headers[0]?.['if-range'], etag);
    assert.equal(state.writtenBytes, 2_000);
    assert.equal(state.resumedBytes, 500);
    assert.deepEqual(
      events.map(({ event, part, offsetBytes }) => ({ event, part, offsetBytes })),
      [{ event: 'resume', part: 1, offsetBytes: 2_500 }],
    );
    const written = await readFile(temp.path);
    assert.deepEqual(written.subarray(2_000, 4_000), artifact.subarray(2_000, 4_000));
  });

  it('a 200 is a mismatch, returned and not thrown, and nothing of it is written', async () => {
    await using kit = await partAttempt();
    const { server, context, temp } = kit;
    const state = partOne();
    server.onRange = 'whole';
    const result = await attemptPart(context, temp, state, validator, signal());
    assert.equal(result?.kind, 'mismatch');
    assert.match(
      result?.reason ?? '',
      /answered bytes 2000-3999 \(part 1\) with the whole object \(200\)/,
    );
    assert.equal(state.writtenBytes, 0);
    assert.equal((await readFile(temp.path)).length, 0);
  });

  it('a 416 is a mismatch too', async () => {
    await using kit = await partAttempt();
    kit.server.onRange = '416';
    const result = await attemptPart(kit.context, kit.temp, partOne(), validator, signal());
    assert.match(result?.reason ?? '', /with 416 Range Not Satisfiable$/);
  });
});
