// The final `failed` event's fields, in the order the event has always shown them: the error's
// own details, then the run's facts about it, recorded as the layers record them: what the
// retry loop, the parts and the run learn on the way out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.ts';
import type { LoaderConfig } from '../../src/config/types.ts';
import {
  DeadlineError,
  FetchError,
  IntegrityError,
  InterruptedError,
  type LoaderError,
  WriteError,
} from '../../src/errors.ts';
import { Redactor } from '../../src/log/redact.ts';
import {
  doneFields,
  doneMessage,
  failureTerminationLine,
  finalFields,
  startFields,
  startMessage,
  successTerminationLine,
} from '../../src/report/events.ts';
import { RunFacts } from '../../src/report/run-facts.ts';

/** The fields as the event prints them: a field without a value is left out of the line. */
function fields(error: LoaderError, facts: RunFacts) {
  const all = finalFields(error, facts.about(error), performance.now(), 42);
  return Object.fromEntries(Object.entries(all).filter(([, value]) => value !== undefined));
}

/**
 * The fourth to eighth field names after `attempts` attempts wrote 5 bytes and the file (digest
 * 'c') was refused: where the error's own details meet the run's facts.
 */
function keysAfterARefusedFile(error: LoaderError, facts: RunFacts, attempts: number) {
  facts.attempts(error, attempts);
  facts.wrote(error, 5);
  facts.refusedDigest(error, 'c');
  return Object.keys(fields(error, facts)).slice(3, 8);
}

describe('the final failed event', () => {
  it('shows the attempts before why the retries stopped, as before attempts were counted in one place', () => {
    // The retry loop gives up at the deadline, then the run adds the attempts and the bytes.
    const facts = new RunFacts();
    const gaveUp = new FetchError('server answered 500', { details: { status: 500 } });
    facts.gaveUp(gaveUp, 'the next attempt could not start before the deadline');
    facts.attempts(gaveUp, 1);
    facts.wrote(gaveUp, 0);
    assert.deepEqual(Object.keys(fields(gaveUp, facts)), [
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
    facts.cutShort(interrupted, new FetchError('server answered 500'));
    facts.attempts(interrupted, 1);
    facts.wrote(interrupted, 0);
    assert.deepEqual(Object.keys(fields(interrupted, facts)).slice(3, 6), [
      'attempts',
      'lastFailure',
      'bytes',
    ]);
    // A part that failed for good: its bytes were told by the parts, then the attempts by the run.
    const part = new FetchError('server answered 500', { details: { status: 500 } });
    facts.wrote(part, 1024);
    facts.attempts(part, 3);
    facts.wrote(part, 7);
    assert.deepEqual(Object.keys(fields(part, facts)).slice(3, 6), ['status', 'attempts', 'bytes']);
    assert.equal(fields(part, facts).attempts, 3);
    assert.equal(fields(part, facts).bytes, 1024, "the parts' bytes, told first, are kept");
  });

  it('leaves the error own details first and in their order', () => {
    const facts = new RunFacts();
    const mismatch = new IntegrityError('sha256 mismatch', {
      details: { expectedSha256: 'a', actualSha256: 'b', sha256: 'b' },
    });
    assert.deepEqual(keysAfterARefusedFile(mismatch, facts, 2), [
      'expectedSha256',
      'actualSha256',
      'sha256',
      'attempts',
      'bytes',
    ]);
    assert.equal(fields(mismatch, facts).sha256, 'b', 'the digest the error names is kept');
    const write = new WriteError('cannot publish', {
      details: { folder: '.', errorCode: 'ENOENT' },
    });
    assert.deepEqual(keysAfterARefusedFile(write, facts, 1), [
      'folder',
      'errorCode',
      'attempts',
      'bytes',
      'sha256',
    ]);
    const early = new FetchError('refused');
    assert.deepEqual(Object.keys(fields(early, facts)), [
      'outcome',
      'exitCode',
      'code',
      'durationMs',
      'startupMs',
    ]);
  });
});

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

describe('the start and done events of an oci:// pull', () => {
  const reference = 'oci://registry.example/team/app:1.0';
  const config = () => {
    const invocation = loadConfig(
      [],
      { ARTIFACT_URL: reference, LOADER_REGISTRY_MIRRORS: 'mirror.example' },
      false,
    );
    assert.equal(invocation.kind, 'run');
    return (invocation as { config: LoaderConfig }).config;
  };

  it('name the reference, never a url, and the mirrors; the expected size is left out when not given', () => {
    assert.equal(startMessage(config()), `fetching ${reference} to /app/jars/app.jar`);
    const fields = startFields(config());
    assert.equal(fields.reference, reference);
    assert.equal('url' in fields, false);
    assert.deepEqual(fields.mirrors, ['mirror.example']);
    assert.equal(fields.expectedBytes, undefined);
  });

  it('done: the reference and the manifest digest the JAR came from', () => {
    const manifestDigest = `sha256:${'ab'.repeat(32)}`;
    const result = {
      outcome: 'not-modified',
      bytes: 9,
      sha256: digest,
      attempts: 1,
      resumedBytes: 0,
      manifestDigest,
    } as const;
    const fields = doneFields(result, config(), performance.now(), 5);
    assert.equal(fields.reference, reference);
    assert.equal(fields.manifestDigest, manifestDigest);
  });
});
