/**
 * Reorders `entries` (distinct keys) so its first `n` are the `n` with the
 * least keys, in any order: quickselect, O(length) on average. How the
 * indices that keep only their first rows in order (top-k.ts, sorted-rows.ts)
 * bring in the next ones.
 */
export function selectFirst(entries: { readonly key: string }[], n: number): void {
  let lo = 0;
  let hi = entries.length - 1;
  while (lo < hi && n > lo && n <= hi) {
    const pivot = entries[(lo + hi) >> 1]!.key;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (entries[i]!.key < pivot) i++;
      while (entries[j]!.key > pivot) j--;
      if (i <= j) {
        const t = entries[i]!;
        entries[i++] = entries[j]!;
        entries[j--] = t;
      }
    }
    // [lo, j] ≤ pivot ≤ [i, hi]: keep partitioning the side holding the boundary.
    if (n <= j) hi = j;
    else if (n >= i) lo = i;
    else return;
  }
}
