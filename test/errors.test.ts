// The exit codes: one table; the list --help prints is generated from it, and the
// README's table is checked against it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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

  it("are the README's table, each row starting with its codes' meaning", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Exit codes'));
    const rows = section
      .slice(0, section.indexOf('\n## ', 1))
      .split('\n')
      .map((line) => line.split('|').map((cell) => cell.trim()))
      .filter((cells) => /^\d+( \/ \d+)*$/.test(cells[1] ?? ''));
    const listed = rows.flatMap((cells) => (cells[1] ?? '').split(' / ').map(Number));
    assert.deepEqual(listed, Object.values(ExitCode), 'every code once, in order');
    for (const cells of rows) {
      const code = Number((cells[1] ?? '').split(' / ')[0]);
      const name = Object.entries(ExitCode).find(([, value]) => value === code)?.[0];
      const meaning = exitCodeMeaning[name as keyof typeof ExitCode];
      assert.ok((cells[2] ?? '').startsWith(`${meaning}:`), `${code}: "${meaning}: ..."`);
    }
  });
});
