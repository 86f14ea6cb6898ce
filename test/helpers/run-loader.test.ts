// Tests for runLoader with a stub script standing in for the bundle, plus the tmp helpers.
import assert from 'node:assert/strict';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loaderPath } from '../../scripts/loader-process.ts';
import { assertNoSecret, runLoader } from './run-loader.ts';
import { makeTempDir, randomBytesBuffer, sha256Hex, type TempDir } from './tmp.ts';

const stubSource = `
const log = (event, fields = {}) => console.log(JSON.stringify({ ts: new Date().toISOString(), level: 'info', event, msg: event, ...fields }));
const mode = process.argv[2];
log('start', { env: Object.keys(process.env).sort(), uid: process.getuid(), cwd: process.cwd() });
console.log('a line that is not JSON');
console.log('[1, 2]');
console.error('to stderr');
if (mode === 'wait-for-term') {
  process.on('SIGTERM', () => { log('interrupted'); process.exitCode = 143; clearInterval(timer); });
  const timer = setInterval(() => {}, 1000);
  log('progress');
} else if (mode === 'hang') {
  setInterval(() => {}, 1000);
} else if (mode === 'linger') {
  setTimeout(() => {}, 200);
} else {
  process.stdout.write(JSON.stringify({ event: 'done' }));
  process.exitCode = 3;
}
`;

let dir: TempDir;
let stub: string;

before(async () => {
  dir = await makeTempDir();
  stub = join(dir.path, 'stub-loader.mjs');
  await writeFile(stub, stubSource, { mode: 0o644 });
});
after(() => dir.cleanup());

test('loaderPath points at the bundle in dist/', () => {
  assert.match(loaderPath, /\/dist\/runtime-loader\.mjs$/);
});

test('runLoader parses JSON lines into events, in a clean environment', async () => {
  process.env.HTTP_PROXY = 'http://127.0.0.1:9';
  try {
    const run = await runLoader({
      script: stub,
      env: { ARTIFACT_URL: 'http://x/' },
      cwd: dir.path,
    });
    assert.equal(run.code, 3);
    assert.equal(run.signal, null);
    assert.deepEqual(
      run.events.map((event) => event.event),
      ['start', 'done'],
    );
    assert.deepEqual(run.events[0]?.env, ['ARTIFACT_URL', 'PATH']);
    assert.equal(run.events[0]?.cwd, dir.path);
    assert.match(run.stdout, /a line that is not JSON\n/);
    assert.equal(run.stderr, 'to stderr\n');
  } finally {
    delete process.env.HTTP_PROXY;
  }
});

test('durationMs spans the child from spawn to exit', async () => {
  const outerStartedMs = performance.now();
  const run = await runLoader({ script: stub, args: ['linger'] });
  const outerMs = performance.now() - outerStartedMs;
  assert.equal(run.code, 0);
  // The stub lingers 200 ms before it exits: a lower bound, which load only makes safer.
  assert.ok(run.durationMs >= 200, `${run.durationMs} ms is shorter than the child lived`);
  assert.ok(run.durationMs <= outerMs, `${run.durationMs} ms is longer than runLoader took`);
});

test('onEvent sees events as they arrive and can signal the child', async () => {
  const seen: unknown[] = [];
  const run = await runLoader({
    script: stub,
    args: ['wait-for-term'],
    onEvent: (event, child) => {
      seen.push(event.event);
      if (event.event === 'progress') child.kill('SIGTERM');
    },
  });
  assert.equal(run.code, 143);
  assert.deepEqual(seen, ['start', 'progress', 'interrupted']);
});

test('a run that exceeds timeoutMs is killed and rejects loudly', async () => {
  const startedMs = performance.now();
  await assert.rejects(
    runLoader({ script: stub, args: ['hang'], timeoutMs: 300 }),
    /did not exit within 300 ms/,
  );
  // Well short of the default 30 s timeout, however busy the machine: the 300 ms given was used.
  assert.ok(performance.now() - startedMs < 15_000);
});

test('an exception in onEvent kills the child and rejects', async () => {
  await assert.rejects(
    runLoader({
      script: stub,
      args: ['hang'],
      onEvent: () => {
        throw new Error('boom in onEvent');
      },
    }),
    /boom in onEvent/,
  );
});

test('runLoader can run the child as another uid', {
  skip: process.getuid?.() !== 0 && 'needs root',
}, async () => {
  const run = await runLoader({ script: stub, uid: 65534, gid: 65534 });
  assert.equal(run.events[0]?.uid, 65534);
});

test('a missing script rejects with a hint to build', async () => {
  await assert.rejects(runLoader({ script: join(dir.path, 'nope.mjs') }), /npm run build/);
});

test('assertNoSecret finds a secret in stdout or stderr', () => {
  const run = { stdout: '{"msg":"GET /a.jar?sig=[redacted]"}\n', stderr: 'sig=SECRETSIG\n' };
  assert.doesNotThrow(() => assertNoSecret({ ...run, stderr: '' }, ['SECRETSIG']));
  assert.throws(() => assertNoSecret(run, ['SECRETSIG']), /stderr leaks the secret "SECRETSIG"/);
  assert.throws(() => assertNoSecret(run, ['']), /empty secret/);
});

test('makeTempDir is traversable by other users; sha256Hex hashes', async () => {
  assert.equal((await stat(dir.path)).mode & 0o777, 0o755);
  assert.equal(randomBytesBuffer(17).length, 17);
  assert.equal(
    sha256Hex(Buffer.from('abc')),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  );
});
