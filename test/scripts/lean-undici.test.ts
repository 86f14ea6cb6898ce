// scripts/lean-undici.mjs: the build fails, naming the rewrite, when one of its
// rewrites of undici's internals no longer applies. Run by esbuild against a
// small undici of the test's own in a temp folder (node_modules is never touched):
// first shaped as the real one, then changed as a new release might change it.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { build } from 'esbuild';
import { leanUndici } from '../../scripts/lean-undici.mjs';
import { makeTempDir } from '../helpers/tmp.ts';

const realSubset = new URL('../../scripts/undici-subset.mjs', import.meta.url);

/** The files of an undici that lean-undici rewrites, as the pinned release has them. */
const undiciAsPinned: Record<string, string> = {
  'package.json': '{ "name": "undici", "version": "0.0.0-test", "main": "index.js" }',
  'index.js': [
    "const Dispatcher = require('./lib/dispatcher/dispatcher')",
    "const Pool = require('./lib/dispatcher/pool')",
    "const EnvHttpProxyAgent = require('./lib/dispatcher/env-http-proxy-agent')",
    "const api = require('./lib/api')",
    'Object.assign(Dispatcher.prototype, api)',
    'module.exports = { Pool, EnvHttpProxyAgent }',
  ].join('\n'),
  'lib/api/index.js': 'module.exports.request = function request() {}',
  'lib/dispatcher/dispatcher.js': 'module.exports = class Dispatcher {}',
  'lib/dispatcher/pool.js': "module.exports = class Pool { client = require('./client.js') }",
  'lib/dispatcher/env-http-proxy-agent.js': 'module.exports = class EnvHttpProxyAgent {}',
  'lib/dispatcher/client.js':
    "const h1 = require('./client-h1.js')\nconst connectH2 = require('./client-h2.js')\nmodule.exports = { h1, connectH2 }",
  'lib/dispatcher/client-h1.js':
    "module.exports = typeof esbuildDetection === 'undefined' ? require('./parser-h1.js') : {}",
  'lib/dispatcher/parser-h1.js': 'module.exports = { milo: true }',
  'lib/dispatcher/client-h2.js': 'module.exports = function connectH2() {}',
};

/** Bundles an entry that imports undici, against `undici` (files over undiciAsPinned). */
async function bundle(
  undici: Record<string, string>,
  entry = "import { Pool } from 'undici';\nconsole.log(Pool);\n",
) {
  await using tmp = await makeTempDir('lean-undici-');
  const files = {
    ...Object.fromEntries(
      Object.entries({ ...undiciAsPinned, ...undici }).map(([path, text]) => [
        `node_modules/undici/${path}`,
        text,
      ]),
    ),
    'subset.mjs': await readFile(realSubset, 'utf8'),
    'entry.mjs': entry,
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(tmp.path, path)), { recursive: true });
    await writeFile(join(tmp.path, path), text);
  }
  const result = await build({
    absWorkingDir: tmp.path,
    entryPoints: ['entry.mjs'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    plugins: [leanUndici({ subset: join(tmp.path, 'subset.mjs') })],
  });
  return {
    code: result.outputFiles[0]?.text ?? '',
    inputs: Object.keys(result.metafile?.inputs ?? {}),
  };
}

/** The errors' texts of a build that must fail. */
async function buildErrors(undici: Record<string, string>, entry?: string): Promise<string[]> {
  try {
    await bundle(undici, entry);
  } catch (error) {
    const errors = (error as { errors?: { text: string }[] }).errors;
    assert.ok(errors !== undefined, String(error));
    return errors.map(({ text }) => text);
  }
  assert.fail('the build succeeded');
}

describe('the undici lean-undici reaches into', () => {
  it('is pinned to one exact version, the locked one', async () => {
    const read = async (file: string) =>
      JSON.parse(await readFile(new URL(`../../${file}`, import.meta.url), 'utf8'));
    const pkg = await read('package.json');
    const lock = await read('package-lock.json');
    const locked = lock.packages['node_modules/undici'].version;
    assert.match(locked, /^\d+\.\d+\.\d+$/);
    assert.equal(pkg.dependencies.undici, locked, 'package.json: no range');
    assert.equal(lock.packages[''].dependencies.undici, locked, 'the lockfile agrees');
  });
});

describe('lean-undici', () => {
  it('builds an undici shaped as the pinned one: the subset, HTTP/2 deferred, no Milo parser', async () => {
    const { inputs } = await bundle({});
    assert.ok(inputs.includes('subset.mjs'), inputs.join(', '));
    assert.ok(inputs.includes('node_modules/undici/lib/dispatcher/client-h2.js'));
    assert.ok(inputs.includes('lazy-undici-h2:client-h2'), 'HTTP/2 through the lazy wrapper');
    assert.ok(!inputs.includes('node_modules/undici/index.js'), 'not the whole API');
    assert.ok(!inputs.includes('node_modules/undici/lib/dispatcher/parser-h1.js'), 'no Milo');
  });

  it('fails the build, naming each rewrite that matched nothing in a changed undici', async () => {
    const errors = await buildErrors({
      'lib/dispatcher/client.js':
        "const h1 = require('./client-h1.js')\nconst connectH2 = require('./h2/connect.js')\nmodule.exports = { h1, connectH2 }",
      'lib/dispatcher/h2/connect.js': 'module.exports = function connectH2() {}',
      'lib/dispatcher/client-h1.js': "module.exports = require('./parser-h1.js')",
      'index.js':
        undiciAsPinned['index.js']?.replace('Object.assign', 'Object.defineProperties') ?? '',
    });
    assert.equal(errors.length, 3, errors.join('\n'));
    assert.match(errors[0] ?? '', /client\.js no longer requires \.\/client-h2\.js/);
    assert.match(errors[1] ?? '', /the define esbuildDetection matches nothing/);
    assert.match(
      errors[2] ?? '',
      /index\.js no longer holds Object\.assign\(Dispatcher\.prototype, api\)/,
    );
    for (const text of errors) assert.match(text, /review scripts\/lean-undici\.mjs/);
  });

  it("fails the build when a module the subset imports is no longer one undici's index.js uses", async () => {
    const errors = await buildErrors({
      'index.js':
        undiciAsPinned['index.js']?.replace(
          "require('./lib/dispatcher/pool')",
          "require('./lib/pool')",
        ) ?? '',
    });
    assert.deepEqual(errors.length, 1, errors.join('\n'));
    assert.match(
      errors[0] ?? '',
      /index\.js no longer holds require\('\.\/lib\/dispatcher\/pool'\)/,
    );
  });

  it('fails the build when nothing imports undici, so the subset was never used', async () => {
    const errors = await buildErrors(
      {},
      "import { request } from 'undici/lib/api/index.js';\nconsole.log(request);\n",
    );
    assert.ok(
      errors.some((text) => /no import of "undici"/.test(text)),
      errors.join('\n'),
    );
  });
});
