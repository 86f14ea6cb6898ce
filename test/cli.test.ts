// The entry's short way: a lone --version or --help is answered before the loader's
// modules load, and must say exactly what the full command-line parser says.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { runLoader } from './helpers/run-loader.ts';

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
});
