/** Finds where a construct appears in the source, since the AST carries no positions. */
export function locate(source: string, token: string): string {
  const lower = source.toLowerCase();
  const needle = token.toLowerCase();
  let at = lower.indexOf(needle);
  // Prefer a whole-word match for keywords.
  for (let from = 0; at >= 0; at = lower.indexOf(needle, from)) {
    const before = at === 0 ? " " : lower[at - 1]!;
    const after = lower[at + needle.length] ?? " ";
    if (!/\w/.test(needle[0]!) || (!/\w/.test(before) && !/\w/.test(after))) break;
    from = at + 1;
  }
  if (at < 0) at = lower.indexOf(needle);
  if (at < 0) return "";
  const lines = source.slice(0, at).split("\n");
  return ` at ${lines.length}:${lines[lines.length - 1]!.length + 1}`;
}
