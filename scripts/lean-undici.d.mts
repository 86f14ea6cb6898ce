import type { Plugin } from 'esbuild';

/** The esbuild plugin of lean-undici.mjs; `subset` replaces undici-subset.mjs (for its test). */
export function leanUndici(options?: { readonly subset?: string }): Plugin;
