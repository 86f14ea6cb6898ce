// Bundles src/cli.ts and its runtime dependencies (undici) into one
// self-contained ES module that runs with `node dist/runtime-loader.mjs`.
import { readFile, stat } from 'node:fs/promises';
import { build } from 'esbuild';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
const outfile = 'dist/runtime-loader.mjs';
const bundleLimitBytes = 1_000_000;

await build({
  entryPoints: ['src/cli.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  legalComments: 'linked',
  sourcemap: false,
  define: { __LOADER_VERSION__: JSON.stringify(pkg.version) },
  banner: {
    // undici is CommonJS; give its bundled require() calls a real require.
    js: "#!/usr/bin/env node\nimport { createRequire as __loaderCreateRequire } from 'node:module';\nconst require = __loaderCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

const { size } = await stat(outfile);
if (size > bundleLimitBytes) {
  throw new Error(`${outfile} is ${size} bytes, over the ${bundleLimitBytes}-byte budget`);
}
console.log(`built ${outfile} (${size} bytes)`);
