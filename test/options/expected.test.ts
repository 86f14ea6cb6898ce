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
});
