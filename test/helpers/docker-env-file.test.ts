import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDockerEnvFile } from './docker-env-file.ts';

describe('parseDockerEnvFile', () => {
  it('reads values as docker does: literally, quotes and spaces kept, comments and blanks skipped', () => {
    const text = [
      '\uFEFF# a comment',
      '',
      '  URL=http://h/a.jar?x=1&y=2',
      "QUOTED='kept'",
      'SPACED= a b ',
      'EQUALS=a=b',
      'PASSED',
      'MISSING',
      'CRLF=v\r',
    ].join('\n');
    assert.deepEqual(Object.fromEntries(parseDockerEnvFile(`${text}\n`, { PASSED: 'from env' })), {
      URL: 'http://h/a.jar?x=1&y=2',
      QUOTED: "'kept'",
      SPACED: ' a b ',
      EQUALS: 'a=b',
      PASSED: 'from env',
      CRLF: 'v',
    });
  });

  it('refuses a name with white space or no name', () => {
    assert.throws(() => parseDockerEnvFile('A B=1\n'), /contains whitespaces/);
    assert.throws(() => parseDockerEnvFile('=1\n'), /no variable name/);
  });
});
