// The licences a package bundled into the image may carry: permissive ones, whose
// only condition is that their notice travels with the code (THIRD-PARTY-LICENSES.txt
// does that). Anything else fails the build until someone decides.

/** SPDX identifiers accepted for a bundled package. */
export const permissiveLicenses: ReadonlySet<string> = new Set([
  '0BSD',
  'Apache-2.0',
  'BlueOak-1.0.0',
  'BSD-2-Clause',
  'BSD-3-Clause',
  'CC0-1.0',
  'ISC',
  'MIT',
  'MIT-0',
  'Unlicense',
  'Zlib',
]);

/**
 * Whether an SPDX expression lets us bundle the package: one identifier from the
 * list, `A OR B` when one side is, `A AND B` when both are. Anything the simple
 * reading does not understand (WITH, nested parentheses, LicenseRef-, a typo)
 * is refused, so the check fails closed.
 */
export function isPermissive(expression: string): boolean {
  const alternatives = unwrap(expression.trim()).split(/\s+OR\s+/);
  return alternatives.some((alternative) =>
    unwrap(alternative)
      .split(/\s+AND\s+/)
      .every((id) => permissiveLicenses.has(id)),
  );
}

function unwrap(text: string): string {
  const match = /^\(([^()]*)\)$/.exec(text.trim());
  return match?.[1]?.trim() ?? text.trim();
}
