/** Every flag of `runtime-loader sign`, once: its parser, default and description; --help comes from here. */
import { parseDurationSeconds, parseIsoTime } from '../options/durations.ts';
import { parseByteCount } from '../options/sizes.ts';
import { defaultServiceAccountDir } from './k8s-apply.ts';
import { switchFlag, text, toolHelp, valueFlag } from './tool.ts';

/** A signed URL is a credential: it lasts a week at most. */
export const maxTtlSeconds = 7 * 86_400;

export const signFlags = {
  baseUrl: valueFlag('base-url', text, {
    valueName: 'URL',
    description: "the server's origin, e.g. http://127.0.0.1:8080",
    required: true,
  }),
  path: valueFlag('path', text, {
    valueName: 'PATH',
    description: 'the file under the served folder, e.g. /app.jar',
    required: true,
  }),
  secretFile: valueFlag('secret-file', text, {
    valueName: 'FILE',
    description: "the server's secret file; its first secret signs",
    required: true,
  }),
  ttlSeconds: valueFlag('ttl', parseDurationSeconds, {
    valueName: 'DURATION',
    description: `valid for this long: 90s, 15m, 2h, at most ${maxTtlSeconds / 86_400}d`,
    defaultAsWritten: '15m',
  }),
  expiresAt: valueFlag('expires-at', parseIsoTime, {
    valueName: 'TIME',
    description: 'or until this ISO 8601 time (a past time makes an expired URL, for tests)',
  }),
  env: switchFlag(
    'env',
    'print ARTIFACT_URL=... and ARTIFACT_EXPECTED_SIZE=... lines for `docker run --env-file` (or podman\'s): unquoted, as env files take values literally. Not for a shell: the URL\'s "&" would split it there',
  ),
  shell: switchFlag(
    'shell',
    'print the same as export ARTIFACT_URL=\'...\' lines for a POSIX shell (`. FILE`, or eval "$(runtime-loader sign ... --shell)"); not for --env-file, which would keep the quotes. Both take the size from --dir or --size',
  ),
  dir: valueFlag('dir', text, {
    valueName: 'DIR',
    description: "the served folder, to read the file's size",
  }),
  sizeBytes: valueFlag('size', parseByteCount, {
    valueName: 'BYTES',
    description: "the file's size, when the folder is not at hand",
  }),
  k8sSecret: valueFlag('k8s-secret', text, {
    valueName: 'NAME',
    description:
      'print a Kubernetes Secret manifest NAME instead, for `kubectl apply -f -`: key `url` (for ARTIFACT_URL_FILE), and `size` with --dir or --size',
  }),
  k8sApply: switchFlag(
    'k8s-apply',
    "with --k8s-secret, inside a pod: patch that existing Secret through the API server with the pod's service-account token, instead of printing it",
  ),
  k8sServiceAccountDir: valueFlag('k8s-serviceaccount-dir', text, {
    valueName: 'DIR',
    description: 'token, ca.crt and namespace for --k8s-apply',
    defaultAsWritten: defaultServiceAccountDir,
  }),
};

const summary = `Prints a signed, expiring URL for PATH on the server at URL. The output is a
credential: whoever holds it can download the file until it expires.`;

/** `runtime-loader sign --help`, generated from the flag table. */
export function signHelp(table: typeof signFlags = signFlags): string {
  return toolHelp('sign', summary, table);
}
