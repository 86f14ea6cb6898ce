import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeadlineError, IntegrityError } from '../../src/errors.ts';
import { Redactor } from '../../src/log/redact.ts';
import { doneMessage } from '../../src/report/done-event.ts';
import {
  failureTerminationLine,
  successTerminationLine,
} from '../../src/report/termination-line.ts';

const digest = 'ab'.repeat(32);

describe('the termination line', () => {
  it('says the exit code, the error code and the scrubbed message of a failure, and the digest', () => {
    const redactor = new Redactor();
    redactor.addUrl(new URL('https://h/a.jar?sig=TOPSECRETSIGNATURE'));
    const error = new IntegrityError('got https://h/a.jar?sig=TOPSECRETSIGNATURE', {
      details: { sha256: digest },
    });
    const line = failureTerminationLine(error, {}, redactor);
    assert.match(
      line,
      new RegExp(`^exit 6 ERR_INTEGRITY: got https://h/a\\.jar.* sha256=${digest}$`),
    );
    assert.doesNotMatch(line, /TOPSECRETSIGNATURE/);
  });

  it('tells the facts of the run: why the last attempt failed, and the digest of a refused body', () => {
    const redactor = new Redactor();
    redactor.addUrl(new URL('https://h/a.jar?sig=TOPSECRETSIGNATURE'));
    const error = new DeadlineError('deadline of 1 s exceeded (LOADER_DEADLINE)');
    const facts = {
      lastFailure: 'stalled at https://h/a.jar?sig=TOPSECRETSIGNATURE',
      sha256: digest,
    };
    const line = failureTerminationLine(error, facts, redactor);
    assert.match(
      line,
      new RegExp(
        `^exit 4 ERR_DEADLINE: deadline of 1 s exceeded \\(LOADER_DEADLINE\\); the last attempt failed: stalled at https://h/a\\.jar.* sha256=${digest}$`,
      ),
    );
    assert.doesNotMatch(line, /TOPSECRETSIGNATURE/);
  });

  it('says the outcome, path, digest and size of a success, and why it was kept', () => {
    const result = {
      outcome: 'kept-verified',
      bytes: 9,
      sha256: digest,
      attempts: 1,
      resumedBytes: 0,
      reason: 'HTTP 403',
    } as const;
    assert.equal(
      successTerminationLine(result, '/app/jars/app.jar', new Redactor()),
      `ok: kept-verified /app/jars/app.jar sha256=${digest} bytes=9 (HTTP 403)`,
    );
    assert.equal(
      doneMessage({ ...result, outcome: 'downloaded', resumedBytes: 4, attempts: 2 }, '/x.jar'),
      '/x.jar in place and verified (2 attempt(s), 4 bytes resumed)',
    );
  });
});
