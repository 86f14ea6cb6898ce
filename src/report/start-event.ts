/** The `start` event: what the run is about to fetch, and the settings that shape it. */
import type { LoaderConfig } from '../config/types.ts';
import { redactUrl } from '../urls/shown.ts';
import { loaderVersion } from '../version.ts';

export function startMessage(config: LoaderConfig): string {
  return `fetching ${redactUrl(config.url)} to ${config.outputPath}`;
}

export function startFields(config: LoaderConfig): Record<string, unknown> {
  return {
    version: loaderVersion,
    url: redactUrl(config.url),
    path: config.outputPath,
    expectedBytes: config.expectedSizeBytes,
    sha256Expected: config.sha256,
    verifyJar: config.verifyJar,
    keepVerified: config.keepVerified,
    deadlineSeconds: config.deadlineMs / 1000,
    maxAttempts: config.maxAttempts,
  };
}
