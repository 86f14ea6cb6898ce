// The image's SBOM: a CycloneDX 1.6 JSON document (https://cyclonedx.org/docs/1.6/json/)
// whose root component is runtime-loader and whose components are the npm packages
// bundled into it, each with its package URL (pkg:npm/NAME@VERSION, what scanners match
// advisories on), licence and the SHA-512 of its registry tarball from the lockfile.
// The Node.js runtime is added in the image's runtime stage, by that image's own node
// (see the Dockerfile), because only there is its exact version known.
//
// No serialNumber or timestamp: both are optional, and without them the same sources
// make the same bytes, so the image layer is cached and reproducible.
import type { BundledPackage } from './bundled-packages.ts';

export interface RootComponent {
  readonly name: string;
  readonly version: string;
  readonly license: string;
}

export interface Tool {
  readonly name: string;
  readonly version: string;
}

export interface Component {
  readonly type: string;
  readonly 'bom-ref': string;
  readonly name: string;
  readonly version: string;
  readonly purl?: string;
  readonly licenses: readonly object[];
  readonly hashes?: readonly { readonly alg: string; readonly content: string }[];
}

export interface Bom {
  readonly bomFormat: 'CycloneDX';
  readonly specVersion: string;
  readonly version: number;
  readonly metadata: {
    readonly tools: { readonly components: readonly object[] };
    readonly component: Component;
  };
  readonly components: readonly Component[];
  readonly dependencies: readonly { readonly ref: string; readonly dependsOn: readonly string[] }[];
}

/** The bom-ref of the root component (it has no package URL: it is not published to npm). */
export const rootRef = 'runtime-loader';

export function cycloneDxBom(
  root: RootComponent,
  packages: readonly BundledPackage[],
  tools: readonly Tool[],
): Bom {
  const components = packages.map(
    (bundled): Component => ({
      type: 'library',
      'bom-ref': npmPurl(bundled.name, bundled.version),
      name: bundled.name,
      version: bundled.version,
      purl: npmPurl(bundled.name, bundled.version),
      licenses: licenses(bundled.license),
      ...(bundled.integrity === undefined ? {} : { hashes: hashes(bundled.integrity) }),
    }),
  );
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    metadata: {
      tools: {
        components: tools.map((tool) => ({ type: 'application', ...tool })),
      },
      component: {
        type: 'application',
        'bom-ref': rootRef,
        name: root.name,
        version: root.version,
        licenses: licenses(root.license),
      },
    },
    components,
    dependencies: [
      { ref: rootRef, dependsOn: components.map((component) => component['bom-ref']) },
      ...components.map((component) => ({ ref: component['bom-ref'], dependsOn: [] })),
    ],
  };
}

/** The package URL of an npm package: a scope's `@` is percent-encoded (purl spec, npm type). */
export function npmPurl(name: string, version: string): string {
  const encoded = name.startsWith('@') ? `%40${name.slice(1)}` : name;
  return `pkg:npm/${encoded}@${encodeURIComponent(version)}`;
}

/** A single SPDX id as `license.id`, anything else as an `expression`. */
function licenses(spdx: string): object[] {
  return /^[A-Za-z0-9.+-]+$/.test(spdx) ? [{ license: { id: spdx } }] : [{ expression: spdx }];
}

/** package-lock.json's `sha512-<base64>` (possibly several, space-separated) as CycloneDX hashes. */
function hashes(integrity: string): { alg: string; content: string }[] {
  const algorithms: Record<string, string> = {
    sha512: 'SHA-512',
    sha384: 'SHA-384',
    sha1: 'SHA-1',
  };
  return integrity.split(/\s+/).flatMap((entry) => {
    const [algorithm = '', base64 = ''] = entry.split(/-(.*)/s);
    const alg = algorithms[algorithm];
    return alg === undefined
      ? []
      : [{ alg, content: Buffer.from(base64, 'base64').toString('hex') }];
  });
}
