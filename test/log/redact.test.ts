import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger } from '../../src/log/logger.ts';
import { Redactor, redactUrl } from '../../src/log/redact.ts';

const signed =
  'https://user:p%40ss@bucket.example:8443/path/app.jar?X-Amz-Credential=AKIAEXAMPLE%2F2026&X-Amz-Signature=deadbeefcafe#frag-secret';

describe('redactUrl', () => {
  it('keeps scheme, host, port and path only', () => {
    assert.equal(redactUrl(new URL(signed)), 'https://bucket.example:8443/path/app.jar');
  });
});

describe('Redactor', () => {
  it('scrubs query, userinfo and fragment in raw and decoded forms', () => {
    const redactor = new Redactor();
    redactor.addRaw(signed);
    const leaks = [
      signed,
      'deadbeefcafe',
      'AKIAEXAMPLE/2026',
      'AKIAEXAMPLE%2F2026',
      'p@ss',
      'p%40ss',
      'frag-secret',
      'user:p%40ss',
    ];
    for (const leak of leaks) {
      const scrubbed = redactor.scrub(`error near ${leak} here`);
      assert.ok(!scrubbed.includes(leak), `${leak} survived: ${scrubbed}`);
    }
    assert.equal(
      redactor.scrub('https://bucket.example:8443/path/app.jar'),
      'https://bucket.example:8443/path/app.jar',
    );
  });

  it('withholds an unparsable value entirely', () => {
    const redactor = new Redactor();
    redactor.addRaw('::not-a-url::SIG');
    assert.equal(redactor.scrub('got ::not-a-url::SIG'), 'got [redacted]');
  });

  it('is applied by the logger to every line, fields included', () => {
    const redactor = new Redactor();
    redactor.addUrl(new URL(signed));
    const lines: string[] = [];
    const logger = new Logger({
      format: 'json',
      redactor,
      write: (line) => lines.push(line),
      interactive: false,
    });
    logger.error('failed', `boom ${signed}`, { where: signed });
    assert.equal(lines.length, 1);
    assert.doesNotMatch(lines[0] ?? '', /deadbeefcafe|frag-secret|p%40ss/);
    const record = JSON.parse(lines[0] ?? '{}');
    assert.equal(record.event, 'failed');
    assert.equal(record.level, 'error');
    assert.ok(typeof record.ts === 'string');
  });
});
