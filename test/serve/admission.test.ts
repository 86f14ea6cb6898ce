import assert from 'node:assert/strict';
import { truncate, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Admission, AdmissionControl } from '../../src/serve/admission.ts';
import { holdTransfer } from '../helpers/hold-transfer.ts';
import { httpGet } from '../helpers/http-get.ts';
import { startInProcessServer } from '../helpers/serve-in-process.ts';
import { makeTempDir } from '../helpers/tmp.ts';

/** A control on a clock the test moves, with a fixed "random" draw. */
function control(options: { max: number; perClient?: number; capSeconds?: number; draw?: number }) {
  const clock = { nowMs: 0 };
  const admission = new AdmissionControl({
    maxTransfers: options.max,
    maxTransfersPerClient: options.perClient ?? options.max,
    retryAfterMaxSeconds: options.capSeconds ?? 30,
    random: () => options.draw ?? 0.5,
    nowMs: () => clock.nowMs,
  });
  return { admission, clock };
}

function admitted(admission: Admission): Extract<Admission, { admitted: true }> {
  assert.ok(admission.admitted, 'expected admission');
  return admission;
}

function refused(admission: Admission): Extract<Admission, { admitted: false }> {
  assert.ok(!admission.admitted, 'expected a refusal');
  return admission;
}

describe('AdmissionControl', () => {
  it('admits up to the bound, refuses beyond it with a Retry-After of at least 1 s, and frees slots on release', () => {
    const { admission } = control({ max: 2 });
    const first = admitted(admission.admit('a'));
    admitted(admission.admit('b'));
    const busy = refused(admission.admit('c'));
    assert.ok(busy.retryAfterSeconds >= 1);
    assert.match(busy.reason, /2 transfers in flight/);
    first.release();
    first.release(); // twice is once
    admitted(admission.admit('c'));
    refused(admission.admit('d'));
    assert.deepEqual(admission.stats, { inFlight: 2, turnedAway: 2 });
  });

  it('bounds one client address on its own, leaving slots to the others', () => {
    const { admission } = control({ max: 4, perClient: 1 });
    const mine = admitted(admission.admit('10.0.0.1'));
    assert.match(refused(admission.admit('10.0.0.1')).reason, /from this client/);
    admitted(admission.admit('10.0.0.2'));
    mine.release();
    admitted(admission.admit('10.0.0.1'));
  });

  it('gives each refused request its own turn, one mean transfer per slot apart: the herd is spread', () => {
    const { admission, clock } = control({ max: 2, draw: 0 });
    // Teach it that a transfer takes 2 s: two slots free one every second.
    const held = [admitted(admission.admit('a')), admitted(admission.admit('b'))];
    clock.nowMs = 2000;
    for (const ticket of held) ticket.release();
    admitted(admission.admit('a'));
    admitted(admission.admit('b'));
    const waits = Array.from({ length: 6 }, () => refused(admission.admit('c')).retryAfterSeconds);
    assert.deepEqual(waits, [1, 2, 3, 4, 5, 6]);
    // Time passing uses the turns up: two seconds on, the next turn is five seconds out, not seven.
    clock.nowMs += 2000;
    assert.equal(refused(admission.admit('c')).retryAfterSeconds, 5);
  });

  it('rounds each turn to whole seconds at random, in proportion (RFC 9110 Retry-After is in seconds)', () => {
    const up = control({ max: 1, draw: 0.99 });
    admitted(up.admission.admit('a'));
    // No transfer has ended yet: a mean of 1 s is assumed, so the first turn is 1 s out.
    assert.equal(refused(up.admission.admit('b')).retryAfterSeconds, 1);
    assert.equal(refused(up.admission.admit('b')).retryAfterSeconds, 2);
    const down = control({ max: 1, draw: 0.3 });
    admitted(down.admission.admit('a'));
    assert.equal(refused(down.admission.admit('b')).retryAfterSeconds, 1);
  });

  it('never promises more than the cap, and spreads the overflow over its later half', () => {
    const draws = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0, 0, 0.999, 0.999];
    const clock = { nowMs: 0 };
    const admission = new AdmissionControl({
      maxTransfers: 1,
      maxTransfersPerClient: 1,
      retryAfterMaxSeconds: 10,
      random: () => draws.shift() ?? 0.5,
      nowMs: () => clock.nowMs,
    });
    admitted(admission.admit('a'));
    // Turns 1 s apart (no transfer has ended: 1 s assumed), each drawn once for its rounding.
    const turns = Array.from({ length: 10 }, () => refused(admission.admit('b')).retryAfterSeconds);
    assert.deepEqual(turns, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Full: one draw for the place in [5 s, 10 s], one for the rounding.
    assert.equal(refused(admission.admit('b')).retryAfterSeconds, 5);
    assert.equal(refused(admission.admit('b')).retryAfterSeconds, 10);
    const many = Array.from({ length: 50 }, () => refused(admission.admit('b')).retryAfterSeconds);
    assert.ok(many.every((seconds) => seconds >= 5 && seconds <= 10));
  });

  it('keeps no state for clients once their transfers ended: memory does not grow with the herd', () => {
    const { admission } = control({ max: 3 });
    for (let client = 0; client < 10_000; client += 1) {
      const ticket = admission.admit(`client-${client}`);
      if (ticket.admitted) ticket.release();
    }
    assert.deepEqual(admission.stats, { inFlight: 0, turnedAway: 0 });
    const held = [admission.admit('x'), admission.admit('y'), admission.admit('z')];
    assert.ok(held.every((ticket) => ticket.admitted));
    assert.ok(!admission.admit('w').admitted);
  });
});

/** Larger than loopback's socket buffers, so a reader that stops holds its transfer. Sparse. */
async function sparseHoldFile(folder: string): Promise<void> {
  await writeFile(join(folder, 'hold.bin'), '');
  await truncate(join(folder, 'hold.bin'), 128 * 1024 * 1024);
}

describe('the artifact server with a bound on transfers', () => {
  const secret = 'a'.repeat(43);

  async function boundedServer(
    folder: string,
    maxTransfers: number,
    maxTransfersPerClient: number,
  ) {
    const started = await startInProcessServer({
      folder,
      secret,
      admission: { maxTransfers, maxTransfersPerClient, retryAfterMaxSeconds: 30 },
    });
    return { server: started.running, url: started.signed, log: started.log };
  }

  /** A GET from the local address `from` on its own connection, with the connection's fate. */
  function getFrom(url: string, from: string) {
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
      (resolve, reject) => {
        const request = http.get(url, { agent: false, localAddress: from }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => {
            body += chunk.toString();
          });
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
          );
        });
        request.on('error', reject);
      },
    );
  }

  it('answers 503 with Retry-After beyond the bound, on a connection it keeps open; HEAD still passes', async () => {
    await using tmp = await makeTempDir('admission-');
    await writeFile(join(tmp.path, 'app.jar'), 'jar bytes');
    await sparseHoldFile(tmp.path);
    const { server, url, log } = await boundedServer(tmp.path, 1, 1);
    try {
      const held = await holdTransfer(url('/hold.bin'));
      assert.match(held.statusLine, / 200 /);
      const busy = await httpGet(url('/app.jar'), { headers: { connection: 'keep-alive' } });
      assert.equal(busy.status, 503);
      assert.match(busy.headers['retry-after'] ?? '', /^[1-9][0-9]*$/);
      assert.match(busy.body.toString(), /^Server busy, retry after [0-9]+ s/);
      assert.equal(busy.error, undefined, 'a whole answer, not a dropped connection');
      assert.notEqual(busy.headers.connection, 'close');
      assert.equal((await httpGet(url('/app.jar'), { method: 'HEAD' })).status, 200);
      held.release();
      // The slot is free once the server has seen the connection go, which its access log tells.
      await log.requestsLogged((event) => event.path === '/hold.bin');
      const after = await httpGet(url('/app.jar'));
      assert.equal(after.status, 200);
      assert.equal(after.body.toString(), 'jar bytes');
      const [refusal] = log.requests().filter((event) => event.status === 503);
      assert.ok(refusal);
      assert.equal(refusal.path, '/app.jar');
      assert.match(String(refusal.reason), /^busy: 1 transfers in flight/);
      assert.ok(!log.lines.join('').includes('rl-signature'), 'no query string in the log');
    } finally {
      await server.close(0);
    }
  });

  it('bounds each client address on its own: a second address still gets through', async () => {
    await using tmp = await makeTempDir('admission-');
    await writeFile(join(tmp.path, 'app.jar'), 'jar bytes');
    await sparseHoldFile(tmp.path);
    const { server, url } = await boundedServer(tmp.path, 4, 1);
    try {
      const held = await holdTransfer(url('/hold.bin'));
      assert.match(held.statusLine, / 200 /);
      const same = await getFrom(url('/app.jar'), '127.0.0.1');
      assert.equal(same.status, 503);
      assert.match(same.headers['retry-after'] ?? '', /^[1-9][0-9]*$/);
      const other = await getFrom(url('/app.jar'), '127.0.0.2');
      assert.equal(other.status, 200);
      assert.equal(other.body, 'jar bytes');
      held.release();
    } finally {
      await server.close(0);
    }
  });
});
