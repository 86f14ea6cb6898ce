// The exit codes: one table, and the list --help prints is generated from it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { helpText } from '../src/config/help.ts';
import { ExitCode, exitCodeList, exitCodeMeaning } from '../src/errors.ts';

describe('exit codes', () => {
  it('are listed with their meanings, codes that share one together', () => {
    assert.equal(
      exitCodeList(),
      '0 ok, 1 internal error, 2 configuration, 3 rejected by server, 4 fetch failed, 5 size mismatch, 6 integrity, 7 cannot write, 130/143 interrupted',
    );
    for (const [name, code] of Object.entries(ExitCode)) {
      const meaning = exitCodeMeaning[name as keyof typeof ExitCode];
      assert.match(exitCodeList(), new RegExp(`\\b${code}(/[0-9]+)* ${meaning}\\b`), name);
    }
  });

  it("are what the loader's --help lists, in lines of at most 90 characters", () => {
    const help = helpText('1.2.3');
    const from = help.indexOf('Exit codes: ');
    assert.ok(from > 0);
    const listed = help.slice(from).trim();
    assert.equal(listed.replaceAll('\n', ' '), `Exit codes: ${exitCodeList()}.`);
    for (const line of listed.split('\n')) assert.ok(line.length <= 90, line);
  });
});
