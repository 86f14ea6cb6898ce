import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invalidValue, problemOf, quote } from '../../src/options/expected.ts';

describe('the one error style', () => {
  it('names the option, says what was expected and what it got', () => {
    const error = invalidValue('a whole number from 1 to 16', '99');
    assert.equal(
      problemOf('--connections', error),
      '--connections: expected a whole number from 1 to 16, got "99"',
    );
  });

  it('quotes a value shortened to 80 characters, and an empty one in words', () => {
    assert.equal(quote(''), 'an empty value');
    assert.equal(quote('a"b'), '"a\\"b"');
    assert.equal(quote('x'.repeat(200)), `"${'x'.repeat(80)}…"`);
  });

  it('never shows the secret parts of a URL given as a value, even past the cut', () => {
    // A signed URL pasted into the wrong option: its query, userinfo and fragment stay unseen.
    assert.equal(quote('https://h.example/app.jar?sig=SECRET'), '"https://h.example/app.jar"');
    const signed = `https://artifacts.example.com/app.jar?X-Amz-Signature=${'s'.repeat(100)}`;
    assert.equal(quote(signed), '"https://artifacts.example.com/app.jar"');
    // Cut at 80 before its "@", the password would otherwise show in part.
    const credentials = `https://user:${'p'.repeat(100)}@h.example/app.jar`;
    assert.equal(quote(credentials), '"https://h.example/app.jar"');
    assert.equal(quote('see https://h.example/a#token=SECRET'), '"see https://h.example/a"');
    assert.equal(quote('40MiB'), '"40MiB"');
  });
});
