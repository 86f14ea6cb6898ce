// The settings table is the one source of every variable and flag; the README's
// configuration table is written by hand, so it is checked against the table here.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { shownDefault } from '../../src/config/help.ts';
import { settingList } from '../../src/config/settings.ts';

const readmePath = new URL('../../README.md', import.meta.url);

/** The README's configuration table rows, keyed by their first cell's variable name. */
async function readmeRows(): Promise<Map<string, string[]>> {
  const readme = await readFile(readmePath, 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Exit codes'));
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const name = /^`([A-Z0-9_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (name !== undefined) rows.set(name, cells.slice(1, -1));
  }
  return rows;
}

describe('settings', () => {
  it('each appears in the README configuration table with its flag and default', async () => {
    const rows = await readmeRows();
    for (const spec of settingList) {
      const row = rows.get(spec.env);
      assert.ok(row, `README configuration table has no row for ${spec.env}`);
      const [, flags = '', fallback = ''] = row;
      assert.ok(flags.includes(`\`--${spec.flag}\``), `${spec.env}: README names --${spec.flag}`);
      if (spec.negatedFlag !== undefined) {
        assert.ok(
          flags.includes(`\`--${spec.negatedFlag}\``),
          `${spec.env}: --${spec.negatedFlag}`,
        );
      }
      const shown = shownDefault(spec);
      if (shown !== undefined) {
        assert.ok(fallback.includes(`\`${shown}\``), `${spec.env}: README default is ${shown}`);
      }
    }
  });

  it("and the README's configuration table lists no other variable but Node's own", async () => {
    const rows = await readmeRows();
    const settingNames = new Set(settingList.map((spec) => spec.env));
    const others = [...rows.keys()].filter((name) => !settingNames.has(name));
    assert.deepEqual(others, ['NODE_EXTRA_CA_CERTS']);
  });
});
