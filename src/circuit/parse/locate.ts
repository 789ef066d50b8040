/**
 * Finds where a construct appears in the source, since the AST carries no
 * positions: the first occurrence of `token` (a whole word for keywords),
 * searched from the first `after` if given. Returns " at line:column" or "".
 */
export function locate(source: string, token: string, after?: string): string {
  const lower = source.toLowerCase();
  const needle = token.toLowerCase();
  const start = after ? Math.max(0, lower.indexOf(after.toLowerCase())) : 0;
  let at = lower.indexOf(needle, start);
  // Prefer a whole-word match for keywords.
  for (let from = start; at >= 0; at = lower.indexOf(needle, from)) {
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
