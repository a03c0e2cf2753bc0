/** Small pure helpers for summarising repeated measurements. */

/** The median of a non-empty list of numbers (mean of the middle two for an even count). */
/** @param {readonly number[]} values */
export function median(values) {
  if (values.length === 0) throw new RangeError('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const at = (/** @type {number} */ i) => /** @type {number} */ (sorted[i]);
  return sorted.length % 2 === 1 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
}

/** `1234.5` → `1.23 s`, `87.2` → `87 ms`. */
/** @param {number} ms */
export function formatMs(ms) {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

/** KiB → `123 MB` (decimal megabytes, as the targets in BENCHMARKS.md are written). */
/** @param {number | undefined} kib */
export function formatRss(kib) {
  return kib === undefined ? 'n/a' : `${Math.round((kib * 1024) / 1e6)} MB`;
}

/** `0.42×` */
/** @param {number} value */
export function formatRatio(value) {
  return `${value.toFixed(2)}×`;
}
