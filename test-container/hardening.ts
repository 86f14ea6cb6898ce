// The one place that says how the loader container is locked down. The
// container test runs the image with exactly these flags, and test/deploy checks
// that deploy/docker/ (the run line and the compose service) asks for the same.

/** Lock-down flags of `docker run` / `podman run` for a container running as `user`. */
export function hardeningFlags(user: string): string[] {
  return [
    '--read-only',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    '--user',
    user,
  ];
}

/** The loader's flags, in the order the run line uses them. */
export const loaderHardeningFlags: readonly string[] = hardeningFlags('1000:1000');

/** Where the loader writes; the only writable path in its container. */
export const jarsMountPath = '/app/jars';

/** The two variables of the loader's fixed contract. */
export const loaderEnvNames = ['ARTIFACT_URL', 'ARTIFACT_EXPECTED_SIZE'] as const;
