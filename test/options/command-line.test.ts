// The one command-line parser: its three rules (did you mean, no echo, a boolean's two
// forms) and the first line of node's message, the same for the loader and its tools.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.ts';
import { type Flags, parseCommandLine } from '../../src/options/command-line.ts';

const verifyJar = {
  type: 'boolean',
  forms: ['verify-jar', 'no-verify-jar'],
  variable: 'LOADER_VERIFY_JAR',
} as const;
const flags: Flags = {
  url: { type: 'string' },
  'deadline-seconds': { type: 'string' },
  'verify-jar': verifyJar,
  'no-verify-jar': verifyJar,
  env: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** The ConfigError a command line gets, and its parseArgs code. */
function refusal(args: string[]): { message: string; code: unknown } {
  try {
    parseCommandLine(args, flags, 'x --help');
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.exitCode, 2);
    return { message: error.message, code: (error.cause as { code?: unknown }).code };
  }
  assert.fail(`${args.join(' ')} was accepted`);
}

describe('parseCommandLine', () => {
  it('gives each flag its value, a boolean true, and a short flag its long name', () => {
    const values = parseCommandLine(
      ['--url', 'u', '--deadline-seconds=5', '--no-verify-jar', '-h'],
      flags,
      'x --help',
    );
    assert.deepEqual(
      { ...values },
      { url: 'u', 'deadline-seconds': '5', 'no-verify-jar': true, help: true },
    );
  });

  it('names the flag an unknown one most likely means, long or short, and only a likely one', () => {
    assert.deepEqual(refusal(['--deadline-second', '5']), {
      message:
        "invalid command line: Unknown option '--deadline-second': did you mean --deadline-seconds? (see x --help)",
      code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION',
    });
    assert.match(refusal(['-u', 'x']).message, /Unknown option '-u': did you mean --url\? /);
    assert.equal(
      refusal(['--frobnicate']).message,
      "invalid command line: Unknown option '--frobnicate' (see x --help)",
    );
  });

  it('never echoes a stray argument: it is often the signed URL', () => {
    const { message, code } = refusal(['--url', 'u', 'https://h/a.jar?sig=SECRET']);
    assert.equal(code, 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL');
    assert.equal(
      message,
      'invalid command line: unexpected argument (not shown: it may carry a signature); this command takes flags only (see x --help)',
    );
    assert.doesNotMatch(message, /SECRET|https/);
  });

  it("shows a boolean given a value its two forms and its variable; a plain switch, node's words", () => {
    const expected =
      "invalid command line: Option '--no-verify-jar' does not take an argument: write --verify-jar or --no-verify-jar, without a value (or set LOADER_VERIFY_JAR) (see x --help)";
    assert.deepEqual(refusal(['--no-verify-jar=false']), {
      message: expected,
      code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE',
    });
    assert.equal(
      refusal(['--env=yes']).message,
      "invalid command line: Option '--env' does not take an argument (see x --help)",
    );
  });

  it("keeps only the first line of node's message", () => {
    assert.equal(
      refusal(['--url', '--env']).message,
      "invalid command line: Option '--url' argument is ambiguous. (see x --help)",
    );
    assert.equal(
      refusal(['--url']).message,
      "invalid command line: Option '--url <value>' argument missing (see x --help)",
    );
  });
});
