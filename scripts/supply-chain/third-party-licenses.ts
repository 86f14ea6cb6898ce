// THIRD-PARTY-LICENSES.txt: the licence text of every package bundled into the
// loader, each under a heading with its name, version, SPDX expression and the
// files the text came from; when none is, a line that says so. It travels with
// the bundle in the image.
import type { BundledPackage } from './bundled-packages.ts';

const rule = '='.repeat(78);

export function thirdPartyLicensesText(
  bundle: string,
  own: { readonly name: string; readonly license: string },
  packages: readonly BundledPackage[],
): string {
  const sections = packages.map((bundled) =>
    [
      rule,
      `${bundled.name} ${bundled.version} (${bundled.license})`,
      bundled.licenseFiles.map((file) => `${bundled.path}/${file}`).join(', '),
      rule,
      '',
      bundled.licenseText,
      '',
    ].join('\n'),
  );
  const intro =
    packages.length === 0
      ? [
          `No third-party package is bundled into ${bundle}: it runs on the Node.js runtime alone.`,
          `${own.name} itself is licensed under ${own.license} (LICENSE).`,
          '',
        ]
      : [
          `Third-party software bundled into ${bundle}: ${packages.length} package(s).`,
          `${own.name} itself is licensed under ${own.license} (LICENSE).`,
          `The licence comments the bundler kept from their sources are at the end of ${bundle}.`,
          '',
        ];
  return `${[...intro, ...sections].join('\n')}\n`;
}
