import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorForStatus } from '../../../src/download/http/classify.ts';
import {
  maxNotYetValidWaitMs,
  signatureTimeOf,
} from '../../../src/download/http/signature-time.ts';
import { urlValidityOf } from '../../../src/urls/expiry.ts';

const now = Date.parse('2026-11-30T12:00:00Z');
const s3 = (date: string) =>
  urlValidityOf(new URL(`https://h/a?X-Amz-Date=${date}&X-Amz-Expires=600&X-Amz-Signature=x`));

describe('signatureTimeOf', () => {
  it('an expired URL refused with 400, 401 or 403 is "expired", with when', () => {
    for (const status of [400, 401, 403]) {
      const time = signatureTimeOf(status, undefined, undefined, s3('20261130T100000Z'), now);
      assert.equal(time?.kind, 'expired');
      assert.equal(
        time?.note,
        'the URL expired at 2026-11-30T10:10:00.000Z, 110 minutes ago: issue a new one',
      );
    }
  });
  it('has nothing to say about 404, or a 400 without a known expiry or an expiry word', () => {
    assert.equal(
      signatureTimeOf(404, undefined, undefined, s3('20261130T100000Z'), now),
      undefined,
    );
    assert.equal(signatureTimeOf(400, 'InvalidArgument', undefined, undefined, now), undefined);
    assert.equal(
      signatureTimeOf(400, 'InvalidArgument', undefined, s3('20261130T115500Z'), now),
      undefined,
    );
  });
  it('takes the server word for an expiry when the URL form is unknown', () => {
    const time = signatureTimeOf(
      400,
      'ExpiredToken: The provided token has expired.',
      undefined,
      undefined,
      now,
    );
    assert.equal(time?.kind, 'expired');
  });
  it('waits for a signature that starts after the server clock, plus a margin', () => {
    const time = signatureTimeOf(
      403,
      'AccessDenied',
      'Mon, 30 Nov 2026 11:59:50 GMT',
      s3('20261130T120000Z'),
      now,
    );
    assert.equal(time?.kind, 'not-yet-valid');
    assert.equal(time?.kind === 'not-yet-valid' ? time.waitMs : -1, 11_000);
  });
  it('a wait too long for skew is not retried; a short one is, after that wait', () => {
    const far = signatureTimeOf(
      403,
      'Request is not yet valid',
      'Mon, 30 Nov 2026 11:00:00 GMT',
      s3('20261130T120000Z'),
      now,
    );
    assert.ok(far?.kind === 'not-yet-valid' && (far.waitMs ?? 0) > maxNotYetValidWaitMs);
    const refused = errorForStatus(403, 'Forbidden', 'https://h/a', undefined, 'x', far);
    assert.equal(refused.transient, false);
    assert.equal(refused.exitCode, 3);
    const near = signatureTimeOf(
      403,
      'Request is not yet valid',
      'Mon, 30 Nov 2026 11:59:58 GMT',
      s3('20261130T120000Z'),
      now,
    );
    const retried = errorForStatus(403, 'Forbidden', 'https://h/a', undefined, 'x', near);
    assert.equal(retried.transient, true);
    assert.equal(retried.retryAfterMs, 3_000);
  });
  it('an expired GCS answer does not say "Bad Request"', () => {
    const time = signatureTimeOf(400, 'ExpiredToken: x', undefined, undefined, now);
    const error = errorForStatus(
      400,
      'Bad Request',
      'https://h/a',
      undefined,
      'ExpiredToken: x',
      time,
    );
    assert.doesNotMatch(error.message, /Bad Request/);
    assert.match(error.message, /has expired: issue a new one/);
  });
});
