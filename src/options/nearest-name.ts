/**
 * "Did you mean" for a mistyped name: the known name fewest edits away, where
 * an edit inserts, deletes or replaces one character or swaps two neighbours
 * (the optimal-string-alignment form of the Damerau-Levenshtein distance).
 */
export interface NearestName {
  readonly name: string;
  readonly distance: number;
  /** Few enough edits to be a likely typo rather than another name altogether. */
  readonly likely: boolean;
}

/** The nearest of `known` to `name`, ignoring case; the first in `known` wins a tie. */
export function nearestName(name: string, known: readonly string[]): NearestName | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name.toUpperCase(), candidate.toUpperCase());
    if (best === undefined || distance < best.distance) best = { name: candidate, distance };
  }
  if (best === undefined) return undefined;
  // Up to a third of the name (at least 2): SIZES for SIZE, SECOND for SECONDS, swapped letters.
  const likely = best.distance <= Math.max(2, Math.floor(best.name.length / 3));
  return { ...best, likely };
}

export function editDistance(a: string, b: string): number {
  // rows[i][j]: edits between the first i characters of a and the first j of b.
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i += 1) {
    const row = rows[i] as number[];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}
