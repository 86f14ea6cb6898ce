// The final `failed` event's fields, in the order the event has always shown them. Each error's
// details are built as the layers build them: its own, then what the retry loop, the parts and
// the run add on the way out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FetchError, IntegrityError, InterruptedError, WriteError } from '../../src/errors.ts';
import { finalFields } from '../../src/report/final-fields.ts';

/** The fields as the event prints them: a field without a value is left out of the line. */
function fields(error: FetchError | IntegrityError | InterruptedError | WriteError) {
  const all = finalFields(error, performance.now(), 42);
  return Object.fromEntries(Object.entries(all).filter(([, value]) => value !== undefined));
}

describe('the final failed event', () => {
  it('shows the attempts before why the retries stopped, as before attempts were counted in one place', () => {
    // The retry loop gives up at the deadline, then the run adds the attempts and the bytes.
    const gaveUp = new FetchError('server answered 500', { details: { status: 500 } });
    gaveUp.details.gaveUp = 'the next attempt could not start before the deadline';
    gaveUp.details.attempts = 1;
    gaveUp.details.bytes = 0;
    assert.deepEqual(Object.keys(fields(gaveUp)), [
      'outcome',
      'exitCode',
      'code',
      'status',
      'attempts',
      'gaveUp',
      'bytes',
      'durationMs',
      'startupMs',
    ]);
    // A signal during a backoff wait: the last failure, then the attempts.
    const interrupted = new InterruptedError('SIGTERM');
    interrupted.details.lastFailure = 'server answered 500';
    interrupted.details.attempts = 1;
    interrupted.details.bytes = 0;
    assert.deepEqual(Object.keys(fields(interrupted)).slice(3, 6), [
      'attempts',
      'lastFailure',
      'bytes',
    ]);
    // A part that failed for good: its bytes were told by the parts, then the attempts by the run.
    const part = new FetchError('server answered 500', { details: { status: 500 } });
    part.details.bytes = 1024;
    part.details.attempts = 3;
    assert.deepEqual(Object.keys(fields(part)).slice(3, 6), ['status', 'attempts', 'bytes']);
    assert.equal(fields(part).attempts, 3);
  });

  it('leaves the error own details first and in their order', () => {
    const mismatch = new IntegrityError('sha256 mismatch', {
      details: { expectedSha256: 'a', actualSha256: 'b', sha256: 'b' },
    });
    mismatch.details.attempts = 2;
    mismatch.details.bytes = 5;
    assert.deepEqual(Object.keys(fields(mismatch)).slice(3, 8), [
      'expectedSha256',
      'actualSha256',
      'sha256',
      'attempts',
      'bytes',
    ]);
    const write = new WriteError('cannot publish', {
      details: { folder: '.', errorCode: 'ENOENT' },
    });
    write.details.attempts = 1;
    write.details.bytes = 5;
    write.details.sha256 = 'c';
    assert.deepEqual(Object.keys(fields(write)).slice(3, 8), [
      'folder',
      'errorCode',
      'attempts',
      'bytes',
      'sha256',
    ]);
    const early = new FetchError('refused');
    assert.deepEqual(Object.keys(fields(early)), [
      'outcome',
      'exitCode',
      'code',
      'durationMs',
      'startupMs',
    ]);
  });
});
