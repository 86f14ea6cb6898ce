import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  redactUrl,
  sameVersionSelectors,
  versionSelectorsOf,
  withoutUrlSecrets,
} from '../../src/urls/shown.ts';

const signed =
  'https://user:p%40ss@bucket.example:8443/path/app.jar?X-Amz-Credential=AKIAEXAMPLE%2F2026&X-Amz-Signature=deadbeefcafe#frag-secret';

describe('redactUrl', () => {
  it('keeps scheme, host, port and path only', () => {
    assert.equal(redactUrl(new URL(signed)), 'https://bucket.example:8443/path/app.jar');
  });
});

describe('version selectors', () => {
  it('are the S3, GCS and Azure version parameters of the query, names matched in any case', () => {
    const url = new URL(
      'https://b.example/app.jar?versionId=3HL4kqtJ%2Brm&X-Amz-Signature=abc&Generation=17&snapshot=2024-01-01T00%3A00%3A00Z&snapshot=x&versionid=y&other=1',
    );
    assert.deepEqual(versionSelectorsOf(url), {
      versionId: '3HL4kqtJ+rm',
      Generation: '17',
      snapshot: ['2024-01-01T00:00:00Z', 'x'],
      versionid: 'y',
    });
    assert.deepEqual(versionSelectorsOf(new URL('https://b.example/app.jar?sig=abc')), {});
  });

  it('name the same version only with the same names and values, in any order', () => {
    const of = (query: string) => versionSelectorsOf(new URL(`https://b.example/a.jar?${query}`));
    assert.ok(sameVersionSelectors(of('generation=1&snapshot=s'), of('snapshot=s&generation=1')));
    assert.ok(sameVersionSelectors(of('sig=a'), of('sig=b')), 'the signature is no selector');
    assert.ok(!sameVersionSelectors(of('versionId=a'), of('versionId=b')));
    assert.ok(!sameVersionSelectors(of('versionId=a'), of('versionid=a')), 'another spelling');
    assert.ok(!sameVersionSelectors(of(''), of('generation=1')));
  });
});

describe('withoutUrlSecrets', () => {
  it('cuts a URL with userinfo, query or fragment to scheme://host/path', () => {
    assert.equal(
      withoutUrlSecrets('see https://user:pw@host.example:8443/a/b.jar?sig=xyz#frag now'),
      'see https://host.example:8443/a/b.jar now',
    );
  });

  it('leaves a URL without them byte for byte, and text without a URL alone', () => {
    const text = 'refused a redirect from https to http (https://a.example/x -> http://b/y): no';
    assert.equal(withoutUrlSecrets(text), text);
    assert.equal(withoutUrlSecrets('spr=https true 3600'), 'spr=https true 3600');
  });
});
