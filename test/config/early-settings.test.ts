import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { earlyLogFormat, earlyTerminationLogPath } from '../../src/config/early-settings.ts';

describe('the settings read before the configuration is valid', () => {
  it('take the log format from LOADER_LOG_FORMAT when valid, else by where stdout goes', () => {
    assert.equal(earlyLogFormat([], { LOADER_LOG_FORMAT: 'text' }, false), 'text');
    assert.equal(earlyLogFormat([], { LOADER_LOG_FORMAT: 'json' }, true), 'json');
    assert.equal(earlyLogFormat([], { LOADER_LOG_FORMAT: 'xml' }, true), 'text');
    assert.equal(earlyLogFormat([], { LOADER_LOG_FORMAT: 'xml' }, false), 'json');
    assert.equal(earlyLogFormat([], {}, false), 'json');
  });

  it('take the termination log from LOADER_TERMINATION_LOG unless unset or empty', () => {
    assert.equal(earlyTerminationLogPath([], { LOADER_TERMINATION_LOG: '/tmp/t' }), '/tmp/t');
    assert.equal(
      earlyTerminationLogPath([], { LOADER_TERMINATION_LOG: '' }),
      '/dev/termination-log',
    );
    assert.equal(earlyTerminationLogPath([], {}), '/dev/termination-log');
  });

  it('take --log-format and --termination-log first, as the full read does', () => {
    const env = { LOADER_LOG_FORMAT: 'json', LOADER_TERMINATION_LOG: '/tmp/from-env' };
    const argv = ['--log-format', 'text', '--termination-log=/tmp/from-flag', '--max-attempts=x'];
    assert.equal(earlyLogFormat(argv, env, false), 'text');
    assert.equal(earlyTerminationLogPath(argv, env), '/tmp/from-flag');
  });

  it('fall back to the variable when the flag is invalid or empty, and when the command line does not parse', () => {
    const env = { LOADER_LOG_FORMAT: 'text', LOADER_TERMINATION_LOG: '/tmp/from-env' };
    for (const argv of [
      ['--log-format=xml', '--termination-log='],
      ['--log-format', 'json', '--termination-log', '/tmp/from-flag', '--no-such-flag'],
      ['--log-format', 'json', '--termination-log', '/tmp/from-flag', 'stray'],
    ]) {
      assert.equal(earlyLogFormat(argv, env, false), 'text', argv.join(' '));
      assert.equal(earlyTerminationLogPath(argv, env), '/tmp/from-env', argv.join(' '));
    }
    assert.equal(earlyLogFormat(['--log-format=xml'], {}, true), 'text');
    assert.equal(earlyTerminationLogPath(['--termination-log='], {}), '/dev/termination-log');
  });
});
