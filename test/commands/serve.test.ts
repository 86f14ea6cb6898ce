import assert from 'node:assert/strict';
import { chmod, readFile, truncate, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startServeProcess } from '../../scripts/loader-process.ts';
import { signUrl } from '../../src/urls/sign-url.ts';
import { holdTransfer } from '../helpers/hold-transfer.ts';
import { httpGet } from '../helpers/http-get.ts';
import { runLoader } from '../helpers/run-loader.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const newSecret = 'n'.repeat(44);
const oldSecret = 'o'.repeat(44);

describe('runtime-loader serve', () => {
  it('accepts URLs signed with any secret in the file (rotation) and stops gracefully on SIGTERM', async () => {
    await using tmp = await makeTempDir('serve-');
    const secretFile = join(tmp.path, 'secret');
    await writeFile(
      secretFile,
      `${newSecret}\n# the previous key, until its URLs expire\n${oldSecret}\n`,
    );
    await chmod(secretFile, 0o600);
    await writeFile(join(tmp.path, 'app.jar'), 'jar bytes');
    const server = await startServeProcess({ dir: tmp.path, secretFile });
    const listening = JSON.parse(server.lines[0] ?? '{}');
    assert.equal(listening.keyIds.length, 2);
    assert.match(server.origin, /^http:\/\/127\.0\.0\.1:[0-9]+$/, 'loopback by default');
    for (const secret of [newSecret, oldSecret]) {
      const url = signUrl({ baseUrl: server.origin, path: '/app.jar', ttlSeconds: 60, secret });
      const response = await httpGet(url);
      assert.equal(response.status, 200);
      assert.equal(response.body.toString(), 'jar bytes');
    }
    const foreign = signUrl({
      baseUrl: server.origin,
      path: '/app.jar',
      ttlSeconds: 60,
      secret: 'f'.repeat(44),
    });
    assert.equal((await httpGet(foreign)).status, 403);
    assert.equal(await server.stop(), 0);
    const events = server.lines.map((line) => JSON.parse(line).event);
    assert.deepEqual(events.slice(-2), ['stopping', 'stopped']);
    assert.ok(!server.lines.some((line) => line.includes('rl-signature')));
  });

  it('gives one client address a quarter of --max-transfers, and ends a transfer it stops reading after --send-timeout', async () => {
    await using tmp = await makeTempDir('serve-');
    const secretFile = join(tmp.path, 'secret');
    await writeFile(secretFile, newSecret, { mode: 0o600 });
    await writeFile(join(tmp.path, 'app.jar'), 'jar bytes');
    // Larger than loopback's socket buffers, so a reader that stops holds its transfer. Sparse.
    await writeFile(join(tmp.path, 'hold.bin'), '');
    await truncate(join(tmp.path, 'hold.bin'), 128 * 1024 * 1024);
    const events: Record<string, unknown>[] = [];
    let heldEnded: (event: Record<string, unknown>) => void = () => {};
    const ended = new Promise<Record<string, unknown>>((resolve) => {
      heldEnded = resolve;
    });
    await using server = await startServeProcess({
      dir: tmp.path,
      secretFile,
      args: ['--max-transfers', '4', '--send-timeout', '1s'],
      onLine: (line) => {
        const event = JSON.parse(line) as Record<string, unknown>;
        events.push(event);
        if (event.path === '/hold.bin') heldEnded(event);
      },
    });
    assert.deepEqual(
      [events[0]?.maxTransfers, events[0]?.maxTransfersPerClient, events[0]?.sendTimeoutSeconds],
      [4, 1, 1],
    );
    const url = (path: string) =>
      signUrl({ baseUrl: server.origin, path, ttlSeconds: 60, secret: newSecret });
    const from = (localAddress: string) =>
      new Promise<number>((resolve, reject) => {
        http
          .get(url('/app.jar'), { agent: false, localAddress }, (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          })
          .on('error', reject);
      });

    const held = await holdTransfer(url('/hold.bin'), { localAddress: '127.0.0.1' });
    assert.match(held.statusLine, / 200 /);
    assert.equal(await from('127.0.0.1'), 503, 'one of four slots is all one address gets');
    assert.equal(await from('127.0.0.2'), 200, 'another address still gets through');
    const event = await ended;
    assert.match(
      String(event.reason),
      /^send timeout: the client did not take [0-9]+ bytes in 1 s$/,
    );
    assert.equal(event.complete, false);
    assert.equal(await from('127.0.0.1'), 200, 'its slot is free again');
    held.release();
  });

  it('reads a file at most one 256 KiB buffer ahead of what a client that stopped reading took', async () => {
    await using tmp = await makeTempDir('serve-');
    const secretFile = join(tmp.path, 'secret');
    await writeFile(secretFile, newSecret, { mode: 0o600 });
    // Larger than loopback's socket buffers, so a reader that stops holds its transfer. Sparse.
    await writeFile(join(tmp.path, 'hold.bin'), '');
    await truncate(join(tmp.path, 'hold.bin'), 128 * 1024 * 1024);
    let heldEnded: (event: Record<string, unknown>) => void = () => {};
    const ended = new Promise<Record<string, unknown>>((resolve) => {
      heldEnded = resolve;
    });
    await using server = await startServeProcess({
      dir: tmp.path,
      secretFile,
      args: ['--send-timeout', '1s'],
      onLine: (line) => {
        const event = JSON.parse(line) as Record<string, unknown>;
        if (event.path === '/hold.bin') heldEnded(event);
      },
    });
    // The kernel's counts of what the server process read (the file, the request) and wrote
    // (to sockets and its log): what it read and never wrote is what it holds.
    const io = async () => {
      const text = await readFile(`/proc/${server.pid}/io`, 'utf8');
      const count = (name: string) =>
        Number(new RegExp(`^${name}: ([0-9]+)$`, 'm').exec(text)?.[1]);
      return { read: count('rchar'), written: count('wchar') };
    };
    const before = await io();
    const url = signUrl({
      baseUrl: server.origin,
      path: '/hold.bin',
      ttlSeconds: 60,
      secret: newSecret,
    });
    const held = await holdTransfer(url);
    // The cue that the server stopped sending: the send timeout ended the transfer.
    const event = await ended;
    const after = await io();
    held.release();
    assert.match(String(event.reason), /^send timeout: /);
    const written = after.written - before.written;
    assert.ok(written > 1024 * 1024, `the connection took ${written} bytes before it stopped`);
    // Beside the body, a request, headers and a log line: a few hundred bytes each.
    const ahead = after.read - before.read - written;
    assert.ok(
      ahead <= 256 * 1024 + 4096,
      `read ${ahead} bytes of the file ahead of the connection`,
    );
  });

  it('exits 2 with a clear message for a missing folder, a bad secret file or a busy port', async () => {
    await using tmp = await makeTempDir('serve-');
    const secretFile = join(tmp.path, 'secret');
    await writeFile(secretFile, newSecret);
    const emptySecretFile = join(tmp.path, 'empty');
    await writeFile(emptySecretFile, '# nothing yet\n');
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const busyPort = String((busy.address() as { port: number }).port);
    try {
      const cases: [string[], RegExp][] = [
        [['--secret-file', secretFile], /--dir is required/],
        [
          ['--dir', join(tmp.path, 'missing'), '--secret-file', secretFile],
          /--dir ".*missing" is not a folder/,
        ],
        [
          ['--dir', tmp.path, '--secret-file', emptySecretFile],
          /--secret-file ".*empty" holds no secret/,
        ],
        [
          ['--dir', tmp.path, '--secret-file', secretFile, '--port', '70000'],
          /--port: expected 0-65535/,
        ],
        [
          ['--dir', tmp.path, '--secret-file', secretFile, '--port', busyPort],
          /--host\/--port: cannot listen on "127\.0\.0\.1", port [0-9]+ \(EADDRINUSE\)/,
        ],
        [
          ['--dir', tmp.path, '--secret-file', secretFile, '--rate-per-connection', 'fast'],
          /--rate-per-connection: expected a positive size/,
        ],
        [
          ['--dir', tmp.path, '--secret-file', secretFile, '--max-transfers', '0'],
          /--max-transfers: expected a whole number from 1 to 999999, got "0"/,
        ],
        [
          ['--dir', tmp.path, '--secret-file', secretFile, '--max-transfers-per-client', 'many'],
          /--max-transfers-per-client: expected a whole number/,
        ],
        [
          ['--dir', tmp.path, '--secret-file', secretFile, '--retry-after-max', 'soon'],
          /--retry-after-max: expected a positive duration/,
        ],
        [
          ['--dir', tmp.path, '--secret-file', secretFile, '--send-timeout', '0'],
          /--send-timeout: expected a positive duration/,
        ],
        // Longer than a timer holds: it would fire at once and cut every connection.
        [
          ['--dir', tmp.path, '--secret-file', secretFile, '--send-timeout', '30d'],
          /--send-timeout: expected a positive duration of at most 1d, got "30d"/,
        ],
        [
          ['--dir', tmp.path, '--secret-file', secretFile, '--shutdown-grace', '30d'],
          /--shutdown-grace: expected a positive duration of at most 1d, got "30d"/,
        ],
      ];
      for (const [args, message] of cases) {
        const run = await runLoader({ args: ['serve', ...args] });
        assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
        assert.match(run.stderr, message);
      }
    } finally {
      busy.close();
    }
  });

  it('prints its usage with --help', async () => {
    const run = await runLoader({ args: ['serve', '--help'] });
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^Usage: runtime-loader serve --dir DIR --secret-file FILE/);
    assert.match(run.stdout, /--max-transfers N .*\[default: 32\]/s);
    assert.match(run.stdout, /--max-transfers-per-client N/);
    assert.match(run.stdout, /--retry-after-max DURATION/);
    assert.match(run.stdout, /--send-timeout DURATION .*\[default: 60s\]/s);
    assert.match(
      run.stdout,
      /--max-transfers-per-client N.*\[default: a quarter of\s+--max-transfers/s,
    );
  });
});
