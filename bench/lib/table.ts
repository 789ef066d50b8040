/** Plain-text tables for benchmark output. */

/** A number for a table cell: thousands separated, `–` when there is none. */
export function fmt(x: number | undefined, digits = 1): string {
  if (x === undefined || !Number.isFinite(x)) return "–";
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString("en");
  return x.toFixed(digits);
}

/** A left-aligned first column, right-aligned numbers, a dashed rule under the header. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
