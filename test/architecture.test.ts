// docs/architecture.md's rules, read from src/: imports never climb the layers and never go
// round in a circle (type-only imports count), and parseArgs is called in one place.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const src = resolve(import.meta.dirname, '../src');

/** The layers of docs/architecture.md, lowest first: a file may import its own layer or a lower one. */
const layers: readonly [prefix: string, layer: number][] = [
  ['errors.ts', 0],
  ['urls/', 1],
  ['process/', 1],
  ['options/', 2],
  ['oci/', 2],
  ['log/', 3],
  ['config/', 4],
  ['report/', 5],
  ['artifact/', 6],
  ['extract/', 6],
  ['plan/', 7],
  ['download/', 8],
  ['resolve/', 9],
  ['verify/', 9],
  ['publish/', 10],
  ['run.ts', 11],
  ['serve/', 11],
  ['main.ts', 12],
  ['commands/', 12],
  ['cli.ts', 13],
];

const files = readdirSync(src, { recursive: true, encoding: 'utf8' })
  .filter((name) => name.endsWith('.ts'))
  .map((name) => name.split('\\').join('/'))
  .sort();
const source = (file: string) => readFileSync(join(src, file), 'utf8');

/** Every relative import of a file (static, re-export, dynamic), as a path under src/. */
function importsOf(file: string): string[] {
  const pattern = /^\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/gm;
  return [...source(file).matchAll(pattern)].map((match) =>
    relative(src, resolve(src, dirname(file), match[1] ?? match[2] ?? '')),
  );
}

function layerOf(file: string): number {
  const layer = layers.find(([prefix]) => file === prefix || file.startsWith(prefix))?.[1];
  assert.ok(layer !== undefined, `${file} is in no layer of docs/architecture.md`);
  return layer;
}

describe('the architecture', () => {
  it('has no import that climbs the layers', () => {
    const climbing = files.flatMap((file) =>
      importsOf(file)
        .filter((target) => layerOf(target) > layerOf(file))
        .map((target) => `${file} -> ${target}`),
    );
    assert.deepEqual(climbing, []);
  });

  it('has no import cycle', () => {
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const target of importsOf(file)) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    assert.deepEqual(cycles, []);
  });

  it('parses command lines in one place', () => {
    const callers = files.filter((file) => /\bparseArgs\s*\(/.test(source(file)));
    assert.deepEqual(callers, ['options/command-line.ts']);
  });

  it('is described in at most 150 lines', () => {
    const text = readFileSync(resolve(import.meta.dirname, '../docs/architecture.md'), 'utf8');
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    assert.ok(lines <= 150, `docs/architecture.md has ${lines} lines`);
  });
});
