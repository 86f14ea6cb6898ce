import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger } from '../../src/log/logger.ts';
import { Redactor } from '../../src/log/redact.ts';

const signed =
  'https://user:p%40ss@bucket.example:8443/path/app.jar?X-Amz-Credential=AKIAEXAMPLE%2F2026&X-Amz-Signature=deadbeefcafe#frag-secret';

describe('version selectors', () => {
  it('are no secret: the redactor leaves their values alone, and still hides the signature', () => {
    const redactor = new Redactor();
    const versionId = '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY';
    redactor.addRaw(
      `https://b.example/app.jar?versionId=${encodeURIComponent(versionId)}&X-Amz-Signature=deadbeefcafe0123`,
    );
    const text = `versions differ: ${JSON.stringify({ versionId })}; sig deadbeefcafe0123`;
    assert.equal(
      redactor.scrub(text),
      `versions differ: ${JSON.stringify({ versionId })}; sig [redacted]`,
    );
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

  it('withholds a token whole, even one that parses as a URL', () => {
    const redactor = new Redactor();
    // A scheme-like prefix: addRaw would take it for a URL and withhold only its query.
    const token = 'kube:AbC.dEf-9xQ_token/value';
    redactor.addSecret(token);
    for (const text of [token, encodeURIComponent(token), `Bearer ${token}`]) {
      assert.ok(!redactor.scrub(`refused ${text} here`).includes('AbC.dEf'), text);
      assert.ok(!redactor.scrubServerText(`refused ${text} here`).includes('AbC.dEf'), text);
    }
  });

  it('takes a registry password whole, even one that parses as a URL', () => {
    const redactor = new Redactor();
    // `s3cret:pa55word` is a URL with the scheme `s3cret:`: addRaw would show it.
    redactor.addSecret('s3cret:pa55word');
    for (const form of ['s3cret:pa55word', 's3cret%3Apa55word'])
      assert.equal(redactor.scrub(`denied for ${form}.`), 'denied for [redacted].', form);
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
    assert.match(record.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'an ISO 8601 time in UTC');
    assert.ok(Math.abs(Date.parse(record.ts) - Date.now()) < 60_000, `${record.ts} is not now`);
  });

  it('matches the raw form sent on the wire as well as the decoded and re-encoded ones', () => {
    const redactor = new Redactor();
    redactor.addRaw('http://h.example/a.jar?token=AbC+dEf/9xQ=');
    for (const form of ['AbC+dEf/9xQ=', 'AbC dEf/9xQ=', 'AbC%2BdEf%2F9xQ%3D', 'AbC%2bdEf%2f9xQ%3d'])
      assert.equal(redactor.scrub(`invalid token ${form}.`), 'invalid token [redacted].', form);
  });

  it("leaves short and common values alone in the loader's own text", () => {
    const redactor = new Redactor();
    redactor.addRaw(
      'https://localhost:8443/app.jar?X-Amz-SignedHeaders=host&spr=https&download=true&X-Amz-Expires=3600',
    );
    const text = 'fetching https://localhost:8443/app.jar: host true 3600 bytes=1360000';
    assert.equal(redactor.scrub(text), text);
  });

  it('removes short values from server text, only as whole words', () => {
    const redactor = new Redactor();
    redactor.addRaw('http://127.0.0.1:8080/app.jar?X-Amz-SignedHeaders=host&X-Amz-Expires=3600');
    assert.equal(
      redactor.scrubServerText('bad host on localhost, expired after 3600 s (13600)'),
      'bad [redacted] on localhost, expired after [redacted] s (13600)',
    );
  });

  it('replaces a value of 8 to 15 characters as a whole word, a longer one anywhere', () => {
    const redactor = new Redactor();
    redactor.addRaw('http://h.example/a.jar?mode=downloads&key=0123456789abcdefXYZ');
    assert.equal(redactor.scrub('downloaded 3 downloads'), 'downloaded 3 [redacted]');
    assert.equal(redactor.scrub('sig0123456789abcdefXYZ!'), 'sig[redacted]!');
  });

  it('never hides what redactUrl shows of a registered URL', () => {
    const redactor = new Redactor();
    redactor.addRaw(
      'http://h.example/artifacts/app.jar?file=artifacts/app.jar&sig=0123456789abcdef',
    );
    assert.equal(
      redactor.scrub('fetching http://h.example/artifacts/app.jar'),
      'fetching http://h.example/artifacts/app.jar',
    );
  });

  it('cuts any URL with a query in text to what redactUrl shows', () => {
    const redactor = new Redactor();
    assert.equal(
      redactor.scrub('connect to http://u:p@other.example/x?y=z failed'),
      'connect to http://other.example/x failed',
    );
  });
});
