// The esbuild plugin that bundles a lean undici, and proves each of its rewrites
// applied: they reach into undici's internal files (pinned exactly in package.json),
// so a new undici that moves or changes them must fail the build, not quietly
// bundle the whole library or the wrong thing.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const defaultSubset = fileURLToPath(new URL('./undici-subset.mjs', import.meta.url));

/**
 * Start-up is paid on every replica start, so the bundle loads only what a run
 * uses: undici's two dispatchers instead of its whole API (undici-subset.mjs),
 * and its HTTP/2 client (which loads node:http2) only when a server actually
 * negotiates HTTP/2. esbuild evaluates a bundled CommonJS module on its first
 * require(), so a require() inside a function defers it to the first call.
 * It also sets undici's switch for bundlers, `esbuildDetection` (Node core
 * builds its copy of undici the same way): it drops the experimental Milo
 * parser, opt-in through UNDICI_USE_MILO, and its 160 KB of WebAssembly;
 * llhttp, the parser undici uses by default, stays.
 *
 * Each rewrite is counted, and the build fails at its end, naming the
 * rewrite, when one matched nothing: the import of `undici`, the require of
 * `./client-h2.js` by undici's client.js, the define's `typeof
 * esbuildDetection` in a bundled undici file, and the parts of undici's
 * index.js that the subset copies.
 */
export function leanUndici({ subset = defaultSubset } = {}) {
  return {
    name: 'lean-undici',
    setup(build) {
      build.initialOptions.metafile = true;
      build.initialOptions.define = { ...build.initialOptions.define, esbuildDetection: 'true' };
      const cwd = build.initialOptions.absWorkingDir ?? process.cwd();
      const hits = { subset: 0, lazyH2: 0 };
      /** undici's index.js, found as the build finds undici (onEnd may not resolve). */
      let index;
      build.onStart(async () => {
        hits.subset = 0;
        hits.lazyH2 = 0;
        index = await build.resolve('undici/index.js', { kind: 'require-call', resolveDir: cwd });
      });
      build.onResolve({ filter: /^undici$/ }, () => {
        hits.subset += 1;
        return { path: subset };
      });
      build.onResolve({ filter: /^\.\/client-h2\.js$/ }, (args) => {
        if (!/[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client\.js$/.test(args.importer)) return;
        hits.lazyH2 += 1;
        return { path: 'client-h2', namespace: 'lazy-undici-h2' };
      });
      build.onLoad({ filter: /.*/, namespace: 'lazy-undici-h2' }, () => ({
        contents:
          "module.exports = (...args) => require('undici/lib/dispatcher/client-h2.js')(...args);",
        resolveDir: cwd,
        loader: 'js',
      }));
      build.onEnd(async (result) => {
        // A build that failed already says why; its counts would only add noise.
        if (result.errors.length > 0) return;
        const problems = [];
        if (hits.subset === 0)
          problems.push('no import of "undici" was pointed at undici-subset.mjs');
        if (hits.lazyH2 === 0) {
          problems.push(
            'undici/lib/dispatcher/client.js no longer requires ./client-h2.js: HTTP/2 would not load lazily',
          );
        }
        if (!(await bundlesEsbuildDetection(result.metafile, cwd))) {
          problems.push(
            'the define esbuildDetection matches nothing: no bundled undici file tests `typeof esbuildDetection` (Milo would stay in)',
          );
        }
        problems.push(...(await subsetDrift(index, subset)));
        return {
          errors: problems.map((text) => ({
            text: `${text}; undici's internals changed: review scripts/lean-undici.mjs and undici-subset.mjs`,
          })),
        };
      });
    },
  };
}

/** Some bundled undici file reads `typeof esbuildDetection`, the define's target. */
async function bundlesEsbuildDetection(metafile, cwd) {
  const inputs = Object.keys(metafile?.inputs ?? {}).filter((input) =>
    /(^|[\\/])node_modules[\\/]undici[\\/]/.test(input),
  );
  for (const input of inputs) {
    const source = await readFile(resolve(cwd, input), 'utf8');
    if (/typeof esbuildDetection\b/.test(source)) return true;
  }
  return false;
}

/**
 * The parts of undici's index.js that undici-subset.mjs copies and no longer
 * finds there: each module it imports, and the line that gives every
 * dispatcher request() and stream().
 */
async function subsetDrift(resolvedIndex, subset) {
  if (resolvedIndex === undefined || resolvedIndex.errors.length > 0) {
    return ["undici's index.js cannot be found"];
  }
  const index = await readFile(resolvedIndex.path, 'utf8');
  const copied = [...(await readFile(subset, 'utf8')).matchAll(/from 'undici\/(lib\/[^']+)\.js'/g)]
    .map(([, path]) => `require('./${path.replace(/\/index$/, '')}')`)
    .concat('Object.assign(Dispatcher.prototype, api)');
  return copied
    .filter((part) => !index.includes(part))
    .map((part) => `undici's index.js no longer holds ${part}, which undici-subset.mjs copies`);
}
