/** Every flag of `runtime-loader sign`, once, with its parser and default (signHelp describes them). */
import { parseDurationSeconds, parseIsoTime } from '../options/durations.ts';
import { parseByteCount } from '../options/sizes.ts';
import { defaultServiceAccountDir } from './k8s-apply.ts';
import { switchFlag, text, valueFlag } from './tool-flags.ts';

export const signFlags = {
  baseUrl: valueFlag('base-url', text),
  path: valueFlag('path', text),
  secretFile: valueFlag('secret-file', text),
  ttlSeconds: valueFlag('ttl', parseDurationSeconds, 15 * 60),
  expiresAt: valueFlag('expires-at', parseIsoTime),
  env: switchFlag('env'),
  shell: switchFlag('shell'),
  dir: valueFlag('dir', text),
  sizeBytes: valueFlag('size', parseByteCount),
  k8sSecret: valueFlag('k8s-secret', text),
  k8sApply: switchFlag('k8s-apply'),
  k8sServiceAccountDir: valueFlag('k8s-serviceaccount-dir', text, defaultServiceAccountDir),
};
