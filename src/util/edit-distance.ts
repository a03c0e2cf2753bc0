/**
 * How far apart two names are, for "did you mean …?" suggestions. Pure.
 */

/**
 * The optimal-string-alignment (restricted Damerau-Levenshtein) distance: the fewest single-character
 * insertions, deletions, substitutions and swaps of two neighbours that turn `a` into `b`. A swap
 * counts once, so `PAI` is one step from `API`, as a typist would expect.
 */
export function editDistance(a: string, b: string): number {
  // Three rows of the dynamic-programming table: two back (for swaps), one back, and this one.
  let twoBack: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, (twoBack[j - 2] ?? 0) + 1);
      current.push(best);
    }
    twoBack = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The name of `candidates` closest to `name` (the first of equals), if it is at most `maxDistance` away. */
export function closestName(name: string, candidates: Iterable<string>, maxDistance: number): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance <= maxDistance && (best === undefined || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}
