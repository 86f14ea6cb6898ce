import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeExpiry, expiryWarningAtStart, urlValidityOf } from '../../src/urls/expiry.ts';

const at = (iso: string) => new Date(iso).getTime();

function validity(query: string) {
  return urlValidityOf(new URL(`https://h.example/app.jar?${query}`));
}

describe('urlValidityOf', () => {
  it('reads S3 SigV4: X-Amz-Date plus X-Amz-Expires seconds', () => {
    const v = validity(
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261130T120000Z&X-Amz-Expires=3600&X-Amz-Signature=ab',
    );
    assert.equal(v?.form, 's3-sigv4');
    assert.equal(v?.validFrom?.toISOString(), '2026-11-30T12:00:00.000Z');
    assert.equal(v?.expiresAt.toISOString(), '2026-11-30T13:00:00.000Z');
  });
  it('reads GCS V4: X-Goog-Date plus X-Goog-Expires', () => {
    const v = validity('X-Goog-Date=20261130T120000Z&X-Goog-Expires=900&X-Goog-Signature=ab');
    assert.equal(v?.form, 'gcs-v4');
    assert.equal(v?.expiresAt.toISOString(), '2026-11-30T12:15:00.000Z');
  });
  it('reads an Azure SAS: se (and st), date-only or with a time', () => {
    const v = validity(
      'sv=2022-11-02&st=2026-11-30T11:00:00Z&se=2026-11-30T12:30Z&sr=b&sp=r&sig=ab%3D',
    );
    assert.equal(v?.form, 'azure-sas');
    assert.equal(v?.validFrom?.toISOString(), '2026-11-30T11:00:00.000Z');
    assert.equal(v?.expiresAt.toISOString(), '2026-11-30T12:30:00.000Z');
    assert.equal(
      validity('se=2026-12-01&sig=x')?.expiresAt.toISOString(),
      '2026-12-01T00:00:00.000Z',
    );
    assert.equal(validity('se=2026-12-01'), undefined, 'no sig: not a SAS');
  });
  it('reads our own rl-expires', () => {
    const v = validity('rl-expires=1795479883&rl-key-id=a&rl-signature=b');
    assert.equal(v?.form, 'runtime-loader');
    assert.equal(v?.expiresAt.getTime(), 1795479883_000);
  });
  it('reads a plain epoch exp/expires: ten digits are seconds, thirteen milliseconds', () => {
    assert.equal(validity('exp=1795479883&sig=x')?.expiresAt.getTime(), 1795479883_000);
    assert.equal(validity('Expires=1795479883&Signature=x')?.form, 'epoch');
    assert.equal(validity('expires=1795479883123')?.expiresAt.getTime(), 1795479883123);
  });
  it('trusts no implausible value', () => {
    for (const query of [
      'expires=3600', // relative, not a time
      'exp=99999999999', // 11 digits: neither seconds nor milliseconds of this era
      'exp=0000000001',
      'exp=1e10',
      'X-Amz-Date=20261130T120000Z&X-Amz-Expires=999999', // over 7 days: not S3's
      'X-Amz-Date=20261330T120000Z&X-Amz-Expires=60', // month 13
      'X-Goog-Date=20260230T120000Z&X-Goog-Expires=60', // 30 February
      'se=2026-02-30&sig=x',
      'X-Amz-Date=2026-11-30T12:00:00Z&X-Amz-Expires=60',
      'X-Goog-Date=20261130T120000Z', // no expiry
      'se=tomorrow&sig=x',
      'rl-expires=-5',
      'token=abc',
    ]) {
      assert.equal(validity(query), undefined, query);
    }
  });
  it('is case-insensitive in parameter names, as S3 is', () => {
    assert.equal(validity('x-amz-date=20261130T120000Z&x-amz-expires=60')?.form, 's3-sigv4');
  });
});

describe('describeExpiry and the start warning', () => {
  const v = validity('X-Amz-Date=20261130T120000Z&X-Amz-Expires=3600');
  assert.ok(v !== undefined);
  it('says when it expired and how long ago', () => {
    assert.equal(
      describeExpiry(v, at('2026-11-30T13:42:30Z')),
      'expired at 2026-11-30T13:00:00.000Z, 42 minutes ago',
    );
    assert.equal(
      describeExpiry(v, at('2026-11-30T12:59:00Z')),
      'expires at 2026-11-30T13:00:00.000Z, in 1 minute',
    );
  });
  it('warns when expired, or expiring within what is left of the deadline', () => {
    assert.equal(
      expiryWarningAtStart(v, at('2026-11-30T13:05:00Z'), 600_000)?.fields.reason,
      'expired',
    );
    const soon = expiryWarningAtStart(v, at('2026-11-30T12:55:00Z'), 600_000);
    assert.equal(soon?.fields.reason, 'expires-before-deadline');
    assert.equal(soon?.fields.urlExpiresInMinutes, 5);
    assert.equal(expiryWarningAtStart(v, at('2026-11-30T12:30:00Z'), 600_000), undefined);
  });
  it('warns about a signature dated ahead of this clock', () => {
    const early = expiryWarningAtStart(v, at('2026-11-30T11:59:00Z'), 600_000);
    assert.equal(early?.fields.reason, 'signed-in-the-future');
    assert.match(early?.message ?? '', /60 s ahead/);
  });
});
