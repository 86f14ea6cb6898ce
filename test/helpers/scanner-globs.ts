// Where image scanners look for an SBOM file inside an image, as their sources say
// (cited in docs/container.md, "Where scanners find the SBOM"). The tests check the
// image's SBOM path against these, so a rename that hides it from them fails.

/**
 * Trivy's `sbom` analyzer (pkg/fanal/analyzer/sbom/sbom.go, `requiredSuffixes`): on by
 * default for container images; it reads any file whose path ends with one of these.
 */
export const trivySbomSuffixes = ['.spdx', '.spdx.json', '.cdx', '.cdx.json'] as const;

/**
 * Syft's sbom-cataloger (syft/pkg/cataloger/sbom/cataloger.go): off by default
 * (anchore/syft#2527); `--select-catalogers +sbom-cataloger` turns it on.
 */
export const syftSbomGlobs = [
  '**/*.syft.json',
  '**/*.bom.*',
  '**/*.bom',
  '**/bom',
  '**/*.sbom.*',
  '**/*.sbom',
  '**/sbom',
  '**/*.cdx.*',
  '**/*.cdx',
  '**/*.spdx.*',
  '**/*.spdx',
] as const;

/** Whether each scanner would read the file at `path` (absolute, inside the image). */
export function scannerReads(path: string): { trivy: boolean; syft: boolean } {
  return {
    trivy: trivySbomSuffixes.some((suffix) => path.endsWith(suffix)),
    syft: syftSbomGlobs.some((glob) => globToRegExp(glob).test(path)),
  };
}

/** `**` any folders (or none), `*` anything within one path segment. */
function globToRegExp(glob: string): RegExp {
  const pattern = glob
    .split('**/')
    .map((part) =>
      part
        .split('*')
        .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('(?:.*/)?');
  return new RegExp(`^/?${pattern}$`);
}
