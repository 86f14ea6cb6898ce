import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attemptWhole, type ResumeState } from '../../../src/download/whole/attempt.ts';
import { FetchError } from '../../../src/errors.ts';
import { attemptKit } from '../../helpers/attempt-kit.ts';
import { randomBytesBuffer, sha256Hex } from '../../helpers/tmp.ts';

const artifact = randomBytesBuffer(10_000);
const etag = '"v1"';

/** A range server over the artifact, an attempt context, and a temp file holding the first
 * `keptBytes` of the artifact, as a failed attempt left it. */
async function keeping(keptBytes: number) {
  const kit = await attemptKit('whole-attempt-', artifact, etag);
  try {
    if (keptBytes > 0) await kit.temp.append([artifact.subarray(0, keptBytes)]);
    return kit;
  } catch (error) {
    await kit[Symbol.asyncDispose]();
    throw error;
  }
}

/** What a loop that saw the first answer's ETag carries into the next attempt. */
const validated = (): ResumeState => ({
  validator: { etag, lastModified: undefined },
  resumedBytes: 0,
});

const signal = () => AbortSignal.timeout(5_000);

describe('attemptWhole', () => {
  it('resumes kept bytes with Range and If-Range when the 206 is the rest of the same version', async () => {
    await using kit = await keeping(4_000);
    const { server, context, events, temp } = kit;
    const state = validated();
    await attemptWhole(context, temp, state, signal());
    assert.equal(server.headers[0]?.range, 'bytes=4000-');
    assert.equal(server.headers[0]?.['if-range'], etag);
    assert.equal(state.resumedBytes, 4_000);
    assert.deepEqual(
      events.map((event) => event.event),
      ['resume'],
    );
    assert.equal(temp.digestHex(), sha256Hex(artifact));
  });

  it('starts over when the server sends the whole object instead of the rest', async () => {
    await using kit = await keeping(4_000);
    const { server, context, events, temp } = kit;
    const state = validated();
    server.onRange = 'whole';
    await attemptWhole(context, temp, state, signal());
    assert.deepEqual(events, [
      {
        ...events[0],
        event: 'restart',
        reason: 'the server sent the whole object (200) instead of the rest',
      },
    ]);
    assert.equal(state.resumedBytes, 0);
    assert.equal(temp.bytesWritten, artifact.length);
    assert.equal(temp.digestHex(), sha256Hex(artifact));
  });

  it('a 416 discards the kept bytes and fails transiently: the next attempt starts from zero', async () => {
    await using kit = await keeping(4_000);
    const { server, context, events, temp } = kit;
    const state = validated();
    server.onRange = '416';
    await assert.rejects(attemptWhole(context, temp, state, signal()), (error: unknown) => {
      assert.ok(error instanceof FetchError);
      assert.equal(error.transient, true);
      assert.match(error.message, /^resume refused: .* answered 416$/);
      return true;
    });
    assert.equal(events[0]?.reason, 'the server answered 416 Range Not Satisfiable');
    assert.equal(temp.bytesWritten, 0);
    assert.equal(state.validator, undefined);
  });

  it('kept bytes without a strong validator are not trusted: no Range is sent', async () => {
    await using kit = await keeping(4_000);
    const { server, context, events, temp } = kit;
    const state: ResumeState = { validator: undefined, resumedBytes: 0 };
    await attemptWhole(context, temp, state, signal());
    assert.equal(server.headers[0]?.range, undefined);
    assert.match(String(events[0]?.reason ?? ''), /no strong validator/);
    assert.equal(temp.digestHex(), sha256Hex(artifact));
    assert.deepEqual(state.validator, { etag, lastModified: undefined });
  });
});
