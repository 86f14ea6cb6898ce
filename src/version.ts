// Replaced at build time by scripts/build.mjs from package.json.
declare const __LOADER_VERSION__: string | undefined;

export const loaderVersion: string =
  typeof __LOADER_VERSION__ === 'string' ? __LOADER_VERSION__ : '0.0.0-dev';

export const userAgent = `runtime-loader/${loaderVersion} node/${process.versions.node}`;
