// The run's facts about a failure: recorded by the layer that learns them, each about the
// failure it explains, told in the order the failed event shows them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DeadlineError,
  FetchError,
  IntegrityError,
  InterruptedError,
  RejectedError,
} from '../../src/errors.ts';
import { RunFacts } from '../../src/report/run-facts.ts';

const atTheDeadline = 'the next attempt could not start before the deadline';

describe('RunFacts', () => {
  it('tells the facts in the order of the failed event, whatever order they were learned in', () => {
    const facts = new RunFacts();
    const error = new FetchError('stalled', { details: { status: 503 } });
    facts.refusedDigest(error, 'ab');
    facts.wrote(error, 10);
    facts.attempts(error, 4);
    facts.gaveUp(error, atTheDeadline);
    assert.deepEqual(Object.entries(facts.about(error)), [
      ['attempts', 4],
      ['gaveUp', atTheDeadline],
      ['bytes', 10],
      ['sha256', 'ab'],
    ]);
    assert.deepEqual(error.details, { status: 503 }, 'the error is as it was made');
  });

  it('tells a fact only with the failure it explains', () => {
    const facts = new RunFacts();
    // Part 1 gave up at the deadline; part 3's 404 is the error that ends the run.
    const part1 = new FetchError('server answered 503', { transient: true });
    const part3 = new RejectedError('server answered 404');
    facts.gaveUp(part1, atTheDeadline);
    facts.wrote(part3, 512);
    assert.deepEqual(facts.about(part3), { bytes: 512 });
    // The 404 stopped the parts and cut part 1's wait: its last failure is told with the 404,
    // not with a deadline that ends the run after it.
    const deadline = new DeadlineError('deadline of 1 s exceeded (LOADER_DEADLINE_SECONDS)');
    facts.cutShort(part3, part1);
    assert.deepEqual(facts.about(part3), { lastFailure: 'server answered 503', bytes: 512 });
    assert.deepEqual(facts.about(deadline), {});
  });

  it('keeps the first last failure told for a cut, and the first bytes told for a failure', () => {
    const facts = new RunFacts();
    const signal = new InterruptedError('SIGTERM');
    facts.cutShort(signal, new FetchError('first part stalled'));
    facts.cutShort(signal, new FetchError('second part reset'));
    facts.wrote(signal, 300);
    facts.wrote(signal, 100);
    facts.attempts(signal, 2);
    facts.attempts(signal, 3);
    assert.deepEqual(facts.about(signal), {
      attempts: 3,
      lastFailure: 'first part stalled',
      bytes: 300,
    });
  });

  it('leaves a digest the error names itself, and anything that is not a LoaderError', () => {
    const facts = new RunFacts();
    const mismatch = new IntegrityError('sha256 mismatch', { details: { sha256: 'b' } });
    facts.refusedDigest(mismatch, 'c');
    assert.deepEqual(facts.about(mismatch), {});
    const bug = new Error('a bug');
    facts.wrote(bug, 1);
    facts.attempts(bug, 1);
    facts.cutShort(bug, new FetchError('reset'));
    facts.cutShort(new Error('stopped by a result'), new FetchError('reset'));
    assert.deepEqual(facts.about(new FetchError('another')), {});
  });
});
