import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stableModifiedTime } from '../../src/publish/modified-time.ts';
import { sha256Hex } from '../helpers/tmp.ts';

const digest = sha256Hex('one artifact');

describe('stableModifiedTime', () => {
  it("is the server's Last-Modified when there is one", () => {
    const lastModified = 'Tue, 24 Nov 2026 10:00:00 GMT';
    assert.equal(
      stableModifiedTime({ etag: '"x"', lastModified }, digest).getTime(),
      Date.parse(lastModified),
    );
  });

  it('otherwise a whole second between 2000 and 2020, the same for the same digest only', () => {
    const unknown = { etag: undefined, lastModified: undefined };
    const times = new Set<number>();
    for (let i = 0; i < 200; i += 1) {
      const time = stableModifiedTime(unknown, sha256Hex(`artifact ${i}`)).getTime();
      assert.ok(time >= Date.UTC(2000, 0, 1) && time < Date.UTC(2020, 0, 1), String(time));
      assert.equal(time % 1000, 0);
      times.add(time);
    }
    assert.equal(times.size, 200, 'different artifacts, different times');
    assert.equal(
      stableModifiedTime(unknown, digest).getTime(),
      stableModifiedTime(unknown, digest).getTime(),
    );
  });
});
