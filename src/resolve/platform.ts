/**
 * Which entry of an index (OCI image index, Docker manifest list) this
 * machine runs: one with no platform (platform-independent, as a JAR is), or
 * one for linux on this machine's architecture and variant. Node's
 * `process.arch` names are mapped to Go's GOARCH names that indexes use;
 * variants are compared after normalising as the OCI spec's table and
 * containerd do (arm64 means v8, amd64 means v1, a bare arm means v7).
 * Entries of unknown media types are ignored (image-index.md), which also
 * drops attestations (they are `unknown/unknown`). No match, or more than
 * one, is refused: the digest of the wanted manifest pins it.
 */
import { ConfigError } from '../errors.ts';
import type { Descriptor, ImageIndex, Platform } from './manifest.ts';
import { imageManifestTypes, indexTypes } from './media-types.ts';

const goArchOf: Readonly<Record<string, string>> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

/** The platform Node runs on: `arch` as process.arch names it, `armVersion` from process.config for arm. */
export function machinePlatform(arch: string, armVersion?: string): Platform {
  const architecture = goArchOf[arch] ?? arch;
  const variant = architecture === 'arm' ? `v${armVersion ?? '7'}` : undefined;
  return { os: 'linux', architecture, variant };
}

/** The one index entry this machine runs; ConfigError when none or several are candidates. */
export function selectManifest(index: ImageIndex, machine: Platform, what: string): Descriptor {
  const readable = index.manifests.filter(
    (entry) => imageManifestTypes.has(entry.mediaType) || indexTypes.has(entry.mediaType),
  );
  const wanted = normalised(machine);
  const candidates = new Map<string, Descriptor>();
  for (const entry of readable) {
    if (entry.platform === undefined || matches(normalised(entry.platform), wanted)) {
      candidates.set(entry.digest, entry);
    }
  }
  const [only, ...others] = candidates.values();
  if (only !== undefined && others.length === 0) return only;
  const machineName = nameOf(machine);
  if (only === undefined) {
    const offered = readable.map((entry) =>
      entry.platform === undefined ? 'any' : nameOf(entry.platform),
    );
    throw new ConfigError(
      `${what} has no entry for ${machineName} or without a platform (it offers: ${offered.length === 0 ? 'nothing' : offered.join(', ')})`,
    );
  }
  throw new ConfigError(
    `${what} has ${candidates.size} entries this ${machineName} machine could run (${[...candidates.keys()].join(', ')}); pin the one to deploy by its digest (oci://…@sha256:…)`,
  );
}

function matches(entry: Platform, machine: Platform): boolean {
  return (
    entry.os === machine.os &&
    entry.architecture === machine.architecture &&
    entry.variant === machine.variant
  );
}

/** Aliases and implied variants, so `aarch64`, `arm64` and `arm64/v8` compare equal. */
function normalised({ os, architecture, variant }: Platform): Platform {
  const arch = architecture.toLowerCase();
  const lower = variant?.toLowerCase();
  const aliases: Record<string, Platform> = {
    x86_64: { os, architecture: 'amd64', variant: lower },
    'x86-64': { os, architecture: 'amd64', variant: lower },
    aarch64: { os, architecture: 'arm64', variant: lower },
    armhf: { os, architecture: 'arm', variant: 'v7' },
    armel: { os, architecture: 'arm', variant: 'v6' },
    i386: { os, architecture: '386', variant: lower },
  };
  const base = aliases[arch] ?? { os, architecture: arch, variant: lower };
  const numbered =
    base.variant !== undefined && /^[0-9]+$/.test(base.variant) ? `v${base.variant}` : base.variant;
  const implied: Record<string, string> = { arm64: 'v8', amd64: 'v1', arm: 'v7' };
  return {
    os: os.toLowerCase(),
    architecture: base.architecture,
    variant: numbered ?? implied[base.architecture],
  };
}

function nameOf({ os, architecture, variant }: Platform): string {
  return [os, architecture, variant].filter((part) => part !== undefined).join('/');
}
