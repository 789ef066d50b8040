/**
 * `@surrealdb/ql-wasm` lexes `< -` as the graph arrow `<-`, so it refuses
 * `v < -1`, which SurrealDB 3 (the contract) accepts. Before parsing, a
 * negative number literal after `<` and whitespace is parenthesised
 * (`v < (-1)`), outside string literals and escaped identifiers. Nothing else
 * is rewritten: `v <-1` (no space) stays refused, as SurrealDB refuses it.
 */
const NEGATIVE_AFTER_LT = /^<(\s+)-(\s*)([0-9][0-9_]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?:f|dec)?)/;

export function parenthesiseNegativeLiterals(source: string): string {
  let out = "";
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    const close = ch === '"' || ch === "'" || ch === "`" ? ch : ch === "⟨" ? "⟩" : undefined;
    if (close) {
      let j = i + 1;
      while (j < source.length && source[j] !== close) j += source[j] === "\\" ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === "<") {
      const m = NEGATIVE_AFTER_LT.exec(source.slice(i));
      if (m) {
        out += `<${m[1]}(-${m[2]}${m[3]})`;
        i += m[0].length;
        continue;
      }
    }
    out += ch;
    i++;
  }
  return out;
}
