import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { queryParameter } from '../../src/urls/canonical.ts';
import { verifySignedUrl } from '../../src/urls/verify-url.ts';
import { parseDockerEnvFile } from '../helpers/docker-env-file.ts';
import { runLoader } from '../helpers/run-loader.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const secret = 'z'.repeat(44);

async function withSecretFile(contents: string, mode = 0o600) {
  const tmp = await makeTempDir('sign-');
  const secretFile = join(tmp.path, 'secret');
  await writeFile(secretFile, contents);
  await chmod(secretFile, mode);
  return { tmp, secretFile };
}

const sign = (args: string[]) => runLoader({ args: ['sign', ...args] });
/** The flags every signing needs, for /app.jar on http://h:1, then `extra`. */
const appJarArgs = (secretFile: string, ...extra: string[]) => [
  '--base-url',
  'http://h:1',
  '--path',
  '/app.jar',
  '--secret-file',
  secretFile,
  ...extra,
];

describe('runtime-loader sign', () => {
  it('prints one signed URL that verifies with the same secret and lasts the TTL', async () => {
    const { tmp, secretFile } = await withSecretFile(`# signing key\n${secret}\n`);
    await using _ = tmp;
    const before = Date.now();
    const run = await sign([
      '--base-url',
      'http://127.0.0.1:8080',
      '--path',
      '/app.jar',
      '--ttl',
      '2h',
      '--secret-file',
      secretFile,
    ]);
    const after = Date.now();
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const url = new URL(lines[0] ?? '');
    const verdict = verifySignedUrl(url.href, secret);
    assert.ok(verdict.ok, JSON.stringify(verdict));
    // Signed at some moment of the run: its expiry lies 2 h after a time between before and after.
    const expiresSeconds = Number(url.searchParams.get(queryParameter.expires));
    assertWithin(expiresSeconds, Math.floor(before / 1000) + 7200, Math.ceil(after / 1000) + 7200);
  });

  it('with --env prints ARTIFACT_URL and ARTIFACT_EXPECTED_SIZE lines for docker run --env-file', async () => {
    const { tmp, secretFile } = await withSecretFile(secret);
    await using _ = tmp;
    await writeFile(join(tmp.path, 'app.jar'), Buffer.alloc(12_345, 1));
    const run = await sign(appJarArgs(secretFile, '--env', '--dir', tmp.path));
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /^ARTIFACT_URL=http:\/\/h:1\/app\.jar\?rl-expires=[0-9]+&rl-key-id=[0-9a-f]{16}&rl-signature=[\w-]{43}\nARTIFACT_EXPECTED_SIZE=12345\n$/,
    );
  });

  it('prints --env for an env file and --shell for a POSIX shell, each read back exactly', async () => {
    const { tmp, secretFile } = await withSecretFile(secret);
    await using _ = tmp;
    // A name with a quote and an ampersand, which a URL path keeps as they are.
    await writeFile(join(tmp.path, "it's&co.jar"), Buffer.alloc(4321, 1));
    // A fixed expiry (in the past, which sign allows for tests) makes all three URLs equal.
    const args = [
      '--base-url',
      'http://h:1',
      '--path',
      "/it's&co.jar",
      '--secret-file',
      secretFile,
      '--expires-at',
      '2020-01-01T00:00:00Z',
    ];
    const plain = await sign(args);
    assert.equal(plain.code, 0, plain.stderr);
    const url = plain.stdout.trim();
    assert.ok(url.includes("'") && url.includes('&'), url);
    const expected = { ARTIFACT_URL: url, ARTIFACT_EXPECTED_SIZE: '4321' };

    const envFile = await sign([...args, '--env', '--dir', tmp.path]);
    assert.equal(envFile.code, 0, envFile.stderr);
    assert.deepEqual(Object.fromEntries(parseDockerEnvFile(envFile.stdout)), expected);

    const shell = await sign([...args, '--shell', '--dir', tmp.path]);
    assert.equal(shell.code, 0, shell.stderr);
    const shellFile = join(tmp.path, 'loader.env');
    await writeFile(shellFile, shell.stdout);
    // As the issue sourced it (set -a), and as written (export): the shell prints nothing.
    for (const script of ['set -a; . "$1"; exec env -0', '. "$1"; exec env -0']) {
      const sourced = await runShell(script, shellFile);
      assert.equal(sourced.stderr, '', script);
      const env = Object.fromEntries(
        sourced.stdout
          .split('\0')
          .filter((entry) => entry.startsWith('ARTIFACT_'))
          .map((entry) => [
            entry.slice(0, entry.indexOf('=')),
            entry.slice(entry.indexOf('=') + 1),
          ]),
      );
      assert.deepEqual(env, expected, script);
    }
  });

  it('makes an already expired URL with --expires-at in the past', async () => {
    const { tmp, secretFile } = await withSecretFile(secret);
    await using _ = tmp;
    const run = await sign(appJarArgs(secretFile, '--expires-at', '2020-01-01T00:00:00Z'));
    assert.equal(run.code, 0, run.stderr);
    const verdict = verifySignedUrl(run.stdout.trim(), secret);
    assert.equal(verdict.ok ? 'ok' : verdict.reason, 'expired');
  });

  it('exits 2 with a message naming the problem, never echoing the secret', async () => {
    const { tmp, secretFile } = await withSecretFile(secret);
    await using _ = tmp;
    const { secretFile: shortSecretFile } = await withSecretFile('too-short-secret-value');
    const base = ['--base-url', 'http://h:1', '--path', '/app.jar', '--secret-file', secretFile];
    const cases: [string[], RegExp][] = [
      [['--path', '/app.jar', '--secret-file', secretFile], /--base-url is required/],
      [[...base, '--ttl', '8d'], /--ttl: at most 7d/],
      [[...base, '--ttl', 'soon'], /--ttl: expected a positive duration/],
      [
        [...base, '--ttl', '1m', '--expires-at', '2030-01-01T00:00:00Z'],
        /--ttl or --expires-at, not both/,
      ],
      [[...base, '--expires-at', 'tomorrow'], /--expires-at: expected an ISO 8601 time/],
      [[...base, '--env'], /--env and --shell need the file size/],
      [[...base, '--env', '--dir', tmp.path], /has no file at "\/app\.jar"/],
      [
        ['--base-url', 'http://h:1', '--path', '/a/../b.jar', '--secret-file', secretFile],
        /--path must not contain "\." or "\.\." segments/,
      ],
      [
        ['--base-url', 'http://h:1/x', '--path', '/b.jar', '--secret-file', secretFile],
        /--base-url must be an origin only/,
      ],
      [
        ['--base-url', 'ftp://h', '--path', '/b.jar', '--secret-file', secretFile],
        /--base-url must be an http\(s\) origin/,
      ],
      [
        ['--base-url', 'http://u:p@h:1', '--path', '/b.jar', '--secret-file', secretFile],
        /--base-url must be an origin only/,
      ],
      [[...base, '--env', '--shell', '--size', '5'], /give --env .* or --shell .*, not both/],
      [[...base, '--shell'], /--env and --shell need the file size/],
      [
        ['--base-url', 'http://h:1', '--path', '/b.jar', '--secret-file', join(tmp.path, 'nope')],
        /--secret-file ".*nope" cannot be read \(ENOENT\)/,
      ],
      [
        ['--base-url', 'http://h:1', '--path', '/b.jar', '--secret-file', shortSecretFile],
        /--secret-file .*, secret 1: signing secret is 22 bytes; at least 32/,
      ],
      [[...base, '--bogus'], /Unknown option '--bogus' \(see/],
      [[...base, '--base-ulr', 'x'], /Unknown option '--base-ulr': did you mean --base-url\?/],
      [[...base, '--expires-at', '2099-01-01T00:00:00Z'], /--expires-at: at most 7d from now/],
      [appJarArgs(secretFile, '--path', '//elsewhere/app.jar'), /can never be served/],
      [appJarArgs(secretFile, '--path', '/.git/config'), /can never be served/],
      [[...base, 'stray-value'], /unexpected argument/],
    ];
    for (const [args, message] of cases) {
      const run = await sign(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.match(run.stderr, /^runtime-loader sign: /);
      assert.equal(run.stdout, '');
      assert.ok(!run.stderr.includes('too-short-secret-value') && !run.stderr.includes(secret));
      assert.ok(!run.stderr.includes('stray-value'));
    }
  });

  it('never echoes the signature of a signed URL given to the wrong flag (sign and serve)', async () => {
    const { tmp, secretFile } = await withSecretFile(secret);
    await using _ = tmp;
    // Its signature starts within the 80 characters a value is shown to.
    const signature = 'c2lnbmF0dXJlLW9mLWEtc2lnbmVkLXVybA';
    const signed = `https://artifacts.example.com/app.jar?X-Amz-Signature=${signature}`;
    const shown = /got "https:\/\/artifacts\.example\.com\/app\.jar"\n$/;
    const cases: [string[], RegExp][] = [
      [['sign', ...appJarArgs(secretFile, '--env', '--size', signed)], /--size: expected a pos/],
      [['sign', ...appJarArgs(secretFile, '--ttl', signed)], /--ttl: expected a positive duration/],
      [
        ['sign', ...appJarArgs(secretFile, '--expires-at', signed)],
        /--expires-at: expected an ISO/,
      ],
      [['serve', '--dir', tmp.path, '--secret-file', secretFile, '--port', signed], /--port: /],
      [['serve', '--dir', tmp.path, '--secret-file', secretFile, '--clock-skew', signed], /--clo/],
    ];
    for (const [args, message] of cases) {
      const run = await runLoader({ args });
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.match(run.stderr, shown);
      assert.ok(!run.stderr.includes(signature), run.stderr);
    }
    // A flag that names a file, a folder or a host says what it could not use, quoted the same way.
    const quoted = '"https://artifacts.example.com/app.jar"';
    const named: [string[], string][] = [
      [['serve', '--dir', signed, '--secret-file', secretFile], `--dir ${quoted} is not a folder`],
      [
        ['serve', '--dir', tmp.path, '--secret-file', signed],
        `--secret-file ${quoted} cannot be read (ENOENT)`,
      ],
      [
        ['serve', '--dir', tmp.path, '--secret-file', secretFile, '--host', signed],
        `--host: cannot resolve ${quoted} (ENOTFOUND)`,
      ],
      [['sign', ...appJarArgs(signed)], `--secret-file ${quoted} cannot be read (ENOENT)`],
      [['sign', ...appJarArgs(secretFile, '--env', '--dir', signed)], `--dir ${quoted} does not`],
      [
        ['sign', ...appJarArgs(secretFile, '--env', '--dir', tmp.path, '--path', signed)],
        'can never be served',
      ],
    ];
    for (const [args, message] of named) {
      const run = await runLoader({ args });
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.ok(run.stderr.includes(message), run.stderr);
      // Not even the start of it: a value cut short must not keep part of the query.
      assert.ok(!run.stderr.includes(signature.slice(0, 12)), run.stderr);
    }
  });

  it('warns when the secret file is readable by others', async () => {
    const { tmp, secretFile } = await withSecretFile(secret, 0o644);
    await using _ = tmp;
    const run = await sign(appJarArgs(secretFile));
    assert.equal(run.code, 0);
    assert.match(run.stderr, /readable by others or writable by its group; chmod 600/);
  });

  it('does not warn about a secret file shared with its group, as a Kubernetes Secret with fsGroup is (0440)', async () => {
    const { tmp, secretFile } = await withSecretFile(secret, 0o440);
    await using _ = tmp;
    const run = await sign(appJarArgs(secretFile));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
  });
});

/** Runs `script` with /bin/sh (dash on Debian, a strict POSIX shell) and `file` as $1. */
function runShell(script: string, file: string): Promise<{ stdout: string; stderr: string }> {
  const child = spawn('/bin/sh', ['-c', script, 'sh', file], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`sh exited ${code}: ${stderr}`)),
    );
  });
}

/** `value` lies between `low` and `high`, both included. */
function assertWithin(value: number, low: number, high: number): void {
  assert.ok(value >= low && value <= high, `${value} is not within ${low}..${high}`);
}
