// Reads a manifest as the registry serves it, with skopeo (Debian's `skopeo`), so a
// release can pin a base image per platform and report what it pushed by digests the
// registry itself computed. The engine's local records cannot do this on podman 4.3:
// an image pulled through an index is filed under the index's digest too, and its
// `.Digest` may be an older push's.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const inspectTimeoutMs = 120_000;

interface IndexEntry {
  readonly digest: string;
  readonly platform?: { readonly os?: string; readonly architecture?: string };
}

/** `HOST/REPO` of `HOST/REPO[:TAG][@sha256:…]`. */
export function repositoryOf(reference: string): string {
  return reference.replace(/@sha256:[0-9a-f]{64}$/, '').replace(/:[^/:]+$/, '');
}

/** The raw manifest (or index) at `reference`, and its digest. */
export async function rawManifest(
  reference: string,
  tlsVerify: boolean,
): Promise<{ digest: string; manifest: { manifests?: readonly IndexEntry[] } }> {
  const { stdout } = await execFileAsync(
    'skopeo',
    ['inspect', '--raw', `--tls-verify=${tlsVerify}`, `docker://${reference}`],
    { timeout: inspectTimeoutMs, maxBuffer: 4 * 1024 * 1024, encoding: 'buffer' },
  ).catch((error: unknown) => {
    throw new Error(`skopeo could not read the manifest of ${reference}`, { cause: error });
  });
  const digest = `sha256:${createHash('sha256').update(stdout).digest('hex')}`;
  return { digest, manifest: JSON.parse(stdout.toString('utf8')) };
}

/**
 * The digest of the manifest that serves `platform` (`linux/arm64`) at `reference`:
 * its entry in an index, or the manifest itself when it is not an index.
 */
export async function platformDigest(
  reference: string,
  platform: string,
  tlsVerify: boolean,
): Promise<string> {
  const { digest, manifest } = await rawManifest(reference, tlsVerify);
  if (manifest.manifests === undefined) return digest;
  const [os, architecture] = platform.split('/');
  const entry = manifest.manifests.find(
    (candidate) =>
      candidate.platform?.os === os && candidate.platform?.architecture === architecture,
  );
  if (entry === undefined) {
    const offered = manifest.manifests
      .map((candidate) => `${candidate.platform?.os}/${candidate.platform?.architecture}`)
      .join(', ');
    throw new Error(`${reference} has no ${platform} image (it has: ${offered})`);
  }
  return entry.digest;
}
