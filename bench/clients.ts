// The clients compared, as command lines. Each writes the artifact to `output`.
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loaderPath } from '../scripts/loader-process.ts';
import type { Command } from './measure.ts';

export interface Download {
  url: string;
  sizeBytes: number;
  sha256: string;
  output: string;
}

export interface Client {
  readonly name: string;
  readonly command: (download: Download) => Command;
}

/**
 * Node's flags in the image's ENTRYPOINT, which `serve` runs with too (see
 * Dockerfile): a young generation of 1 MiB semi-spaces.
 */
export const imageNodeArgs = ['--max-semi-space-size=1'];

/** Node's compile cache for the bundle, as the image bakes one (the warm-up round fills it). */
export const compileCacheDir = join(tmpdir(), `runtime-loader-bench-cache-${process.pid}`);

/**
 * The built loader as the image runs it (the ENTRYPOINT's V8 flag and a
 * compile cache), SHA-256 on (ARTIFACT_SHA256), with `connections` connections.
 */
export function loader(
  connections: number,
  extraEnv: Record<string, string> = {},
  suffix = '',
): Client {
  return {
    name: `${connections === 1 ? 'loader' : `loader x${connections}`}${suffix}`,
    command: (download) => ({
      file: process.execPath,
      args: [...imageNodeArgs, loaderPath],
      env: {
        NODE_COMPILE_CACHE: compileCacheDir,
        ARTIFACT_URL: download.url,
        ARTIFACT_EXPECTED_SIZE: String(download.sizeBytes),
        ARTIFACT_SHA256: download.sha256,
        ARTIFACT_PATH: download.output,
        // Random bytes, not a JAR; the JAR check reads only the central directory anyway.
        LOADER_VERIFY_JAR: 'false',
        LOADER_LOG_FORMAT: 'json',
        LOADER_CONNECTIONS: String(connections),
        ...extraEnv,
      },
    }),
  };
}

export const curl: Client = {
  name: 'curl',
  command: (download) => ({ file: 'curl', args: ['-fsS', '-o', download.output, download.url] }),
};

/** The same guarantees as the loader's, by hand: the digest checked, the file fsynced. */
export const curlVerified: Client = {
  name: 'curl+sha256sum+sync',
  command: (download) => ({
    file: 'sh',
    args: [
      '-c',
      'curl -fsS -o "$1" "$2" && echo "$3  $1" | sha256sum -c --status && sync "$1"',
      'sh',
      download.output,
      download.url,
      download.sha256,
    ],
  }),
};

export function aria2c(connections: number): Client {
  return {
    name: `aria2c -x${connections}`,
    command: (download) => ({
      file: 'aria2c',
      args: [
        `-x${connections}`,
        `-s${connections}`,
        '--file-allocation=falloc',
        '--allow-overwrite=true',
        '--auto-file-renaming=false',
        '--console-log-level=error',
        '--summary-interval=0',
        '--quiet=true',
        `--dir=${download.output.slice(0, download.output.lastIndexOf('/'))}`,
        `--out=${download.output.slice(download.output.lastIndexOf('/') + 1)}`,
        download.url,
      ],
    }),
  };
}

/** The first line of `tool --version`, or undefined when the tool is not installed. */
export function versionOf(tool: string): string | undefined {
  try {
    return execFileSync(tool, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .split('\n')[0]
      ?.trim();
  } catch {
    return undefined;
  }
}
