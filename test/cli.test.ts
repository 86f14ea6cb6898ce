// The entry's short way: a lone --version or --help is answered before the loader's
// modules load, and must say exactly what the full command-line parser says.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runLoader } from './helpers/run-loader.ts';
import { makeTempDir } from './helpers/tmp.ts';

describe('the entry', () => {
  it('answers a lone --version or -V with the package version, as the full parser does', async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    for (const args of [['--version'], ['-V'], ['--version', '--verify-jar']]) {
      const run = await runLoader({ args });
      assert.equal(run.code, 0, args.join(' '));
      assert.equal(run.stdout, `${version}\n`, args.join(' '));
      assert.equal(run.stderr, '');
    }
  });

  it('answers a lone --help or -h with the same text as the full parser', async () => {
    const full = await runLoader({ args: ['--help', '--verify-jar'] });
    assert.equal(full.code, 0);
    assert.match(full.stdout, /ARTIFACT_EXPECTED_SIZE/);
    for (const args of [['--help'], ['-h']]) {
      const run = await runLoader({ args });
      assert.equal(run.code, 0, args.join(' '));
      assert.equal(run.stdout, full.stdout, args.join(' '));
    }
  });

  it('still refuses a stray argument next to --version, without echoing it', async () => {
    const run = await runLoader({ args: ['--version', 'https://host/a.jar?sig=SECRET'] });
    assert.equal(run.code, 2);
    assert.doesNotMatch(run.stdout + run.stderr, /SECRET/);
  });

  it('reports a configuration error in the format LOADER_LOG_FORMAT asks for, or the default when it is bad, and to LOADER_TERMINATION_LOG', async () => {
    await using tmp = await makeTempDir('cli-');
    const terminationLog = join(tmp.path, 'termination-log');
    const env = { ARTIFACT_URL: 'https://h.example/a.jar', LOADER_TERMINATION_LOG: terminationLog };
    for (const [format, json] of [
      ['text', false],
      ['json', true],
      ['xml', true],
    ] as const) {
      await writeFile(terminationLog, '');
      const run = await runLoader({ env: { ...env, LOADER_LOG_FORMAT: format } });
      assert.equal(run.code, 2, format);
      assert.equal(run.events.length, json ? 1 : 0, `${format}: ${run.stdout}`);
      assert.match(run.stdout, /failed.*ARTIFACT_EXPECTED_SIZE \(or --expected-size\) is required/);
      if (format === 'xml')
        assert.match(
          run.stdout,
          /LOADER_LOG_FORMAT \(or --log-format\): expected one of json, text, got \\"xml\\"/,
        );
      assert.match(
        await readFile(terminationLog, 'utf8'),
        /^exit 2 ERR_CONFIG: invalid configuration: /,
      );
    }
  });

  it('reports a configuration error as --log-format and --termination-log ask, over their variables', async () => {
    await using tmp = await makeTempDir('cli-');
    const terminationLog = join(tmp.path, 'termination-log');
    await writeFile(terminationLog, '');
    const run = await runLoader({
      env: { ARTIFACT_URL: 'https://h.example/a.jar', LOADER_LOG_FORMAT: 'json' },
      args: ['--log-format', 'text', '--termination-log', terminationLog],
    });
    assert.equal(run.code, 2);
    assert.equal(run.events.length, 0, `text, not JSON: ${run.stdout}`);
    assert.match(run.stdout, /failed.*ARTIFACT_EXPECTED_SIZE \(or --expected-size\) is required/);
    assert.match(
      await readFile(terminationLog, 'utf8'),
      /^exit 2 ERR_CONFIG: invalid configuration: .*ARTIFACT_EXPECTED_SIZE/,
    );
  });
});
