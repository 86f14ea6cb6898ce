import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  booleanWords,
  parseBoolean,
  parseBooleanOrAuto,
  parseOneOf,
} from '../../src/options/choices.ts';

describe('parseBoolean', () => {
  it('reads every listed word, in any case, and nothing else', () => {
    for (const word of booleanWords.true) {
      assert.equal(parseBoolean(word), true);
      assert.equal(parseBoolean(word.toUpperCase()), true);
    }
    for (const word of booleanWords.false) assert.equal(parseBoolean(word), false);
    for (const word of ['y', 'n', 't', 'f', 'enabled', '']) {
      assert.throws(() => parseBoolean(word), {
        message: `expected true, yes, on or 1 to turn it on, or false, no, off or 0 to turn it off, got ${word === '' ? 'an empty value' : JSON.stringify(word)}`,
      });
    }
  });

  it('parseBooleanOrAuto also takes auto, and says so when refusing', () => {
    assert.equal(parseBooleanOrAuto('AUTO'), 'auto');
    assert.equal(parseBooleanOrAuto('off'), false);
    assert.throws(() => parseBooleanOrAuto('maybe'), {
      message: /^expected auto, or true, yes, on or 1 to turn it on, .* got "maybe"$/,
    });
  });
});

describe('parseOneOf', () => {
  it('takes exactly one of the choices, in their case', () => {
    const format = parseOneOf(['json', 'text'] as const);
    assert.equal(format('text'), 'text');
    for (const raw of ['xml', 'JSON', ' json']) {
      assert.throws(() => format(raw), {
        message: `expected one of json, text, got ${JSON.stringify(raw)}`,
      });
    }
  });
});
