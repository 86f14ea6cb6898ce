// Bundles src/cli.ts and its runtime dependencies (undici) into one
// self-contained ES module that runs with `node dist/runtime-loader.mjs`, and
// the signing library into dist/signing.mjs with its types in dist/types/
// (the package export `runtime-loader/signing`).
import { execFileSync } from 'node:child_process';
import { readFile, rm, stat } from 'node:fs/promises';
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

// The image needs only the loader (Dockerfile: --loader-only).
const loaderOnly = process.argv.includes('--loader-only');

// The library for TypeScript servers that issue URLs: readable, no dependencies but node:crypto.
if (!loaderOnly) await buildSigningLibrary();

async function buildSigningLibrary() {
  await build({
    entryPoints: ['src/signing/index.ts'],
    outfile: 'dist/signing.mjs',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
  });
  await rm('dist/types', { recursive: true, force: true });
  execFileSync(
    process.execPath,
    ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.signing.json'],
    {
      stdio: 'inherit',
    },
  );
}

const { size } = await stat(outfile);
if (size > bundleLimitBytes) {
  throw new Error(`${outfile} is ${size} bytes, over the ${bundleLimitBytes}-byte budget`);
}
console.log(`built ${outfile} (${size} bytes)`);
