import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formsOf, isCredentialName, secretFormsOfUrl } from '../../src/log/secret-values.ts';

const textsOf = (forms: { text: string }[]) => new Set(forms.map((form) => form.text));

describe('formsOf', () => {
  it('gives the raw form sent on the wire, the decoded forms and the re-encoded ones', () => {
    const texts = textsOf(formsOf('AbC+dEf/9xQ=', false));
    for (const form of [
      'AbC+dEf/9xQ=', // raw, as sent
      'AbC dEf/9xQ=', // form-decoded: + is a space
      'AbC%2BdEf%2F9xQ%3D', // percent-encoded
      'AbC%2bdEf%2f9xQ%3d', // with lower-case escapes
      'AbC+dEf%2F9xQ%3D', // form-encoded
      'AbC%20dEf%2F9xQ%3D',
    ]) {
      assert.ok(texts.has(form), `missing ${form} in ${[...texts].join(' ')}`);
    }
  });

  it('calls a value strong when it could be a secret on its own, or under a credential name', () => {
    const strength = (raw: string, byName = false) => formsOf(raw, byName)[0]?.strength;
    assert.equal(strength('AbC+dEf/9xQ='), 'strong');
    assert.equal(strength('downloads'), 'strong');
    for (const weak of ['host', 'https', 'true', '3600', '1764547200', 'r%2Fw'])
      assert.equal(strength(weak), 'weak', weak);
    assert.equal(strength('pw12', true), 'strong');
    assert.deepEqual(formsOf('abc', true), [], 'under 4 characters nothing is matched');
  });
});

describe('secretFormsOfUrl', () => {
  it('takes every query value, the fragment and the userinfo', () => {
    const url = new URL(
      'https://deploy:pa%40ss@h.example/a.jar?X-Amz-SignedHeaders=host&sig=xyzw#frag',
    );
    const forms = secretFormsOfUrl(url);
    const strong = textsOf(forms.filter((form) => form.strength === 'strong'));
    const weak = textsOf(forms.filter((form) => form.strength === 'weak'));
    const basic = Buffer.from('deploy:pa@ss').toString('base64');
    for (const text of ['xyzw', 'frag', 'pa%40ss', 'pa@ss', 'deploy:pa%40ss', basic])
      assert.ok(strong.has(text), text);
    assert.ok(weak.has('host'));
    assert.ok(weak.has('deploy'));
  });

  it('knows credential names with or without a vendor prefix', () => {
    for (const name of [
      'sig',
      'X-Amz-Signature',
      'X-Amz-Security-Token',
      'rl-signature',
      'access_token',
      'api_key',
    ])
      assert.ok(isCredentialName(name), name);
    for (const name of ['X-Amz-SignedHeaders', 'X-Amz-Expires', 'spr', 'download', 'Key-Pair-Id'])
      assert.ok(!isCredentialName(name), name);
  });
});
