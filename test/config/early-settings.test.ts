import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { earlyLogFormat, earlyTerminationLogPath } from '../../src/config/early-settings.ts';

describe('the settings read before the configuration is valid', () => {
  it('take the log format from LOADER_LOG_FORMAT when valid, else by where stdout goes', () => {
    assert.equal(earlyLogFormat({ LOADER_LOG_FORMAT: 'text' }, false), 'text');
    assert.equal(earlyLogFormat({ LOADER_LOG_FORMAT: 'json' }, true), 'json');
    assert.equal(earlyLogFormat({ LOADER_LOG_FORMAT: 'xml' }, true), 'text');
    assert.equal(earlyLogFormat({ LOADER_LOG_FORMAT: 'xml' }, false), 'json');
    assert.equal(earlyLogFormat({}, false), 'json');
  });

  it('take the termination log from LOADER_TERMINATION_LOG unless unset or empty', () => {
    assert.equal(earlyTerminationLogPath({ LOADER_TERMINATION_LOG: '/tmp/t' }), '/tmp/t');
    assert.equal(earlyTerminationLogPath({ LOADER_TERMINATION_LOG: '' }), '/dev/termination-log');
    assert.equal(earlyTerminationLogPath({}), '/dev/termination-log');
  });
});
