// The tools' flag tables in-process: a flag is parsed where it is read, with the parser it
// was declared with, and every problem is a ConfigError naming the flag.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serveFlags } from '../../src/commands/serve-flags.ts';
import { signFlags } from '../../src/commands/sign-flags.ts';
import { parseToolFlags } from '../../src/commands/tool-flags.ts';
import { ConfigError } from '../../src/errors.ts';

describe('parseToolFlags', () => {
  it('reads each flag with its parser, or its default when not given', () => {
    const flags = parseToolFlags(
      'serve',
      ['--port', '0', '--rate-per-connection=40MiB'],
      serveFlags,
    );
    assert.equal(flags.help, false);
    assert.equal(flags.read(serveFlags.port), 0);
    assert.equal(flags.read(serveFlags.ratePerConnection), 40 * 1024 ** 2);
    assert.equal(flags.read(serveFlags.host), '127.0.0.1');
    assert.equal(flags.read(serveFlags.shutdownGraceSeconds), 10);
    assert.equal(flags.read(serveFlags.maxTransfersPerClient), undefined);
    assert.equal(flags.read(serveFlags.logFormat), undefined);
  });

  it('reports a bad value only when it is read, naming the flag', () => {
    const flags = parseToolFlags('sign', ['--size', '10MB', '--ttl', '8x'], signFlags);
    assert.equal(flags.given(signFlags.sizeBytes), true);
    assert.throws(() => flags.read(signFlags.ttlSeconds), {
      name: 'ConfigError',
      message: '--ttl: expected a positive duration such as 90s, 15m, 2h or 7d, got "8x"',
    });
    assert.throws(
      () => flags.read(signFlags.sizeBytes),
      (error) =>
        error instanceof ConfigError &&
        error.exitCode === 2 &&
        /^--size: expected a positive whole number of bytes, digits only/.test(error.message),
    );
  });

  it('tells switches, required values and --help', () => {
    const flags = parseToolFlags('sign', ['--env', '--path', ''], signFlags);
    assert.equal(flags.isSet(signFlags.env), true);
    assert.equal(flags.isSet(signFlags.shell), false);
    assert.throws(() => flags.required(signFlags.path), {
      message: '--path is required (see runtime-loader sign --help)',
    });
    assert.throws(() => flags.required(signFlags.baseUrl), { message: /^--base-url is required/ });
    assert.equal(parseToolFlags('sign', ['-h'], signFlags).help, true);
  });

  it('refuses an unknown flag with the likely one, and a stray argument without echoing it', () => {
    assert.throws(() => parseToolFlags('serve', ['--prot', '1'], serveFlags), {
      message: "Unknown option '--prot': did you mean --port? (see runtime-loader serve --help)",
    });
    assert.throws(() => parseToolFlags('sign', ['https://h/a?sig=SECRET'], signFlags), {
      message:
        'unexpected argument; this command takes flags only (see runtime-loader sign --help)',
    });
  });
});
