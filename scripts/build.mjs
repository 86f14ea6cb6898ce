// Bundles src/cli.ts into one self-contained ES module that runs with
// `node dist/runtime-loader.mjs` (it has no runtime dependency: Node's own
// modules, http and https among them, are all it needs), and
// the signing library into dist/signing.mjs with its types in dist/types/
// (the package export `runtime-loader/signing`). Beside the bundle: its SBOM and the
// licence texts of the packages it holds (scripts/supply-chain/), and its metafile.
import { execFileSync } from 'node:child_process';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { build, version as esbuildVersion } from 'esbuild';
import { writeSupplyChainFiles } from './supply-chain/write.ts';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
const outfile = 'dist/runtime-loader.mjs';
const bundleLimitBytes = 1_000_000;

/**
 * A static import of a Node built-in is hoisted to the top of an ES module
 * bundle, so every run would load every built-in any command uses, before its
 * first line: node:crypto, node:stream, the file system. Turned into a
 * require() in a lazily evaluated wrapper, a built-in loads with the first
 * module of ours that needs it, so `--version` and `--help` (answered by
 * cli.ts before the loader's modules are imported) load none.
 */
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === 'import-statement' && /[\\/]src[\\/]/.test(args.importer)
        ? { path: args.path, namespace: 'lazy-builtin' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

// Left by an older build, when licence comments went to a file of their own.
await rm(`${outfile}.LEGAL.txt`, { force: true });
const { metafile } = await build({
  entryPoints: ['src/cli.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  // A licence comment of a bundled package stays in the bundle, at its end.
  legalComments: 'eof',
  sourcemap: false,
  define: { __LOADER_VERSION__: JSON.stringify(pkg.version) },
  banner: {
    // lazy-builtins turns imports of built-ins into require() calls: give them a real require.
    // The shebang holds the same V8 flag as the image's ENTRYPOINT (see Dockerfile).
    js: "#!/usr/bin/env -S node --max-semi-space-size=1\nimport { createRequire as __loaderCreateRequire } from 'node:module';\nconst require = __loaderCreateRequire(import.meta.url);",
  },
  plugins: [lazyBuiltins],
  metafile: true,
  logLevel: 'warning',
});
await writeFile('dist/runtime-loader.meta.json', JSON.stringify(metafile));
await writeSupplyChainFiles({
  metafile,
  outfile,
  projectDir: process.cwd(),
  root: { name: pkg.name, version: pkg.version, license: pkg.license },
  tools: [{ name: 'esbuild', version: esbuildVersion }],
});

// The image needs only the loader (Dockerfile: --loader-only).
const loaderOnly = process.argv.includes('--loader-only');

// The library for TypeScript servers that issue URLs: readable, no dependencies but node:crypto.
if (!loaderOnly) await buildSigningLibrary();

async function buildSigningLibrary() {
  await build({
    entryPoints: ['src/urls/signing.ts'],
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
