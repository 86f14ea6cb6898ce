// The tools' flag tables in-process: a flag is parsed where it is read, with the parser it
// was declared with, and every problem is a ConfigError naming the flag.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serveFlags, serveHelp } from '../../src/commands/serve-flags.ts';
import { signFlags, signHelp } from '../../src/commands/sign-flags.ts';
import { parseToolFlags, valueFlag } from '../../src/commands/tool.ts';
import { ConfigError } from '../../src/errors.ts';
import { parsePort } from '../../src/options/counts.ts';
import { parseDurationSeconds } from '../../src/options/durations.ts';
import { runLoader } from '../helpers/run-loader.ts';

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
      message:
        "invalid command line: Unknown option '--prot': did you mean --port? (see runtime-loader serve --help)",
    });
    assert.throws(() => parseToolFlags('sign', ['https://h/a?sig=SECRET'], signFlags), {
      message:
        'invalid command line: unexpected argument (not shown: it may carry a signature); this command takes flags only (see runtime-loader sign --help)',
    });
  });
});

describe("a tool's --help", () => {
  it('is generated from its flag table: a default changed there shows, and is the one read', () => {
    const port = valueFlag('port', parsePort, {
      valueName: 'PORT',
      description: 'port to listen on; 0 picks a free one',
      defaultAsWritten: '9090',
    });
    assert.match(
      serveHelp(),
      /\n {2}--port PORT +port to listen on; 0 picks a free one \[default: 8080\]\n/,
    );
    const changed = serveHelp({ ...serveFlags, port });
    assert.match(
      changed,
      /\n {2}--port PORT +port to listen on; 0 picks a free one \[default: 9090\]\n/,
    );
    assert.doesNotMatch(changed, /8080/);
    assert.equal(parseToolFlags('serve', [], { ...serveFlags, port }).read(port), 9090);

    const ttlSeconds = valueFlag('ttl', parseDurationSeconds, {
      valueName: 'DURATION',
      description: 'valid for this long',
      defaultAsWritten: '1h',
    });
    assert.match(
      signHelp({ ...signFlags, ttlSeconds }),
      /--ttl DURATION +valid for this long \[default: 1h\]/,
    );
    assert.equal(parseToolFlags('sign', [], { ...signFlags, ttlSeconds }).read(ttlSeconds), 3600);
  });

  it('lists the required flags in its usage and marks them', () => {
    assert.match(
      signHelp(),
      /^Usage: runtime-loader sign --base-url URL --path PATH --secret-file FILE \[flags\]\n/,
    );
    assert.match(
      signHelp(),
      /--path PATH +the file under the served folder, e\.g\. \/app\.jar \(required\)/,
    );
  });

  it('is what the built serve --help and sign --help print', async () => {
    for (const [command, help] of [
      ['serve', serveHelp()],
      ['sign', signHelp()],
    ] as const) {
      const run = await runLoader({ args: [command, '--help'] });
      assert.equal(run.code, 0);
      assert.equal(run.stdout, help);
    }
  });
});
