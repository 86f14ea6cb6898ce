// The send timeout against real sockets: readers that take a trickle hold
// their transfer slots only until the timeout, and a transfer held back by
// the server's own per-connection cap is never cut for it.
import assert from 'node:assert/strict';
import { truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { holdTransfer } from '../helpers/hold-transfer.ts';
import { httpGet } from '../helpers/http-get.ts';
import { startInProcessServer } from '../helpers/serve-in-process.ts';
import { makeTempDir, randomBytesBuffer } from '../helpers/tmp.ts';

const secret = 'a'.repeat(43);

async function server(
  folder: string,
  options: { sendTimeoutMs: number; maxTransfers: number; bytesPerSecond?: number },
) {
  const { running, signed, log } = await startInProcessServer({
    folder,
    secret,
    bytesPerSecondPerConnection: options.bytesPerSecond,
    sendTimeoutMs: options.sendTimeoutMs,
    admission: {
      maxTransfers: options.maxTransfers,
      maxTransfersPerClient: options.maxTransfers,
      retryAfterMaxSeconds: 30,
    },
  });
  return { running, url: signed, log };
}

describe('the send timeout', () => {
  it('ends transfers whose readers take a trickle, frees their slots and logs why', {
    timeout: 15_000,
  }, async () => {
    await using tmp = await makeTempDir('send-timeout-');
    await writeFile(join(tmp.path, 'app.jar'), 'jar bytes');
    // Larger than loopback's socket buffers, so a slow reader backs up the server's writes. Sparse.
    await writeFile(join(tmp.path, 'hold.bin'), '');
    await truncate(join(tmp.path, 'hold.bin'), 128 * 1024 * 1024);
    const { running, url, log } = await server(tmp.path, { sendTimeoutMs: 300, maxTransfers: 2 });
    try {
      // Never idle (512 B every 20 ms), yet far too slow to take a 256 KiB chunk in 300 ms.
      const trickle = { bytes: 512, everyMs: 20 };
      const readers = [
        await holdTransfer(url('/hold.bin'), { trickle }),
        await holdTransfer(url('/hold.bin'), { trickle }),
      ];
      for (const reader of readers) assert.match(reader.statusLine, / 200 /);
      assert.equal((await httpGet(url('/app.jar'))).status, 503, 'every slot is held');

      const ended = (event: Record<string, unknown>) =>
        event.path === '/hold.bin' && typeof event.reason === 'string';
      for (const event of await log.requestsLogged(ended, 2)) {
        assert.match(
          String(event.reason),
          /^send timeout: the client did not take [0-9]+ bytes in 0\.3 s$/,
        );
        assert.equal(event.complete, false);
        assert.equal(event.status, 200);
      }
      const after = await httpGet(url('/app.jar'));
      assert.equal(after.status, 200, 'the slots are free again');
      assert.equal(after.body.toString(), 'jar bytes');
      for (const reader of readers) reader.release();
    } finally {
      await running.close(0);
    }
  });

  it('does not count time the server itself waits on --rate-per-connection', async () => {
    await using tmp = await makeTempDir('send-timeout-');
    const artifact = randomBytesBuffer(64 * 1024);
    await writeFile(join(tmp.path, 'app.jar'), artifact);
    // 16 KiB chunks at 64 KiB/s: a quarter second between writes, each longer than the timeout.
    const { running, url, log } = await server(tmp.path, {
      sendTimeoutMs: 100,
      maxTransfers: 1,
      bytesPerSecond: 64 * 1024,
    });
    try {
      const response = await httpGet(url('/app.jar'));
      assert.equal(response.error, undefined);
      assert.ok(response.body.equals(artifact), 'the whole file');
      const [event] = await log.requestsLogged((event) => event.path === '/app.jar');
      assert.deepEqual([event?.complete, event?.reason], [true, undefined]);
    } finally {
      await running.close(0);
    }
  });
});
