/**
 * Bounds on a view's query, checked before parsing (on the text) and after (on
 * the AST), so that no registration can make the parser or the compiler run out
 * of stack. SurrealDB's parser limits the nesting of brackets and subqueries
 * itself, but not chains of operators or calls: `a = 0 OR a = 1 OR …` with 2,500
 * ORs, or 1,800 nested calls, overflow its WebAssembly stack (a trap that poisons
 * the instance), and 2,000 ORs overflow the compiler's JavaScript stack. The
 * defaults sit several times below the smallest input that failed.
 */
import { CircuitError } from "../errors.js";

export interface QueryLimits {
  /** UTF-8 bytes of the query text (SSP_VIEW_MAX_QUERY_BYTES). */
  readonly maxQueryBytes: number;
  /**
   * Operators, keyword operators and opening brackets counted in the text, outside
   * strings and comments (SSP_VIEW_MAX_QUERY_OPERATORS). Each level of an
   * expression needs at least one, so this bounds how deep the parser recurses.
   */
  readonly maxQueryOperators: number;
  /** Levels of subqueries in the select list below the view's own SELECT (SSP_VIEW_MAX_SUBQUERY_DEPTH). */
  readonly maxSubqueryDepth: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxQueryBytes: 65536, maxQueryOperators: 512, maxSubqueryDepth: 8 };

/**
 * Levels of the parsed AST (SurrealDB's serde JSON; about three per operator).
 * Not configurable: it bounds the compiler's recursion, which must fit Node's
 * stack whatever the other limits say.
 */
export const MAX_AST_DEPTH = 2048;

/** Words the SurrealQL grammar reads as operators. */
const KEYWORD_OPERATORS = new Set([
  "and", "or", "not", "is", "in", "inside", "notinside", "outside", "intersects",
  "contains", "containsnot", "containsall", "containsany", "containsnone",
  "allinside", "anyinside", "noneinside", "matches", "collate", "numeric",
]);
const OPERATOR_CHARS = new Set([..."=!<>+-*/?|&~@^%∋∌⊇⊃⊅∈∉⊆⊂⊄×÷∙", "(", "[", "{"]);

function limitError(message: string, variable: string): CircuitError {
  return new CircuitError("INVALID_ARGUMENT", `${message} (${variable})`);
}

/** Throws INVALID_ARGUMENT naming the limit when the text is too large or has too many operators. */
export function checkQueryText(source: string, limits: QueryLimits): void {
  const bytes = Buffer.byteLength(source, "utf8");
  if (bytes > limits.maxQueryBytes) {
    throw limitError(`the query is ${bytes} bytes, over the limit of ${limits.maxQueryBytes} bytes`, "SSP_VIEW_MAX_QUERY_BYTES");
  }
  const operators = countOperators(source, limits.maxQueryOperators);
  if (operators > limits.maxQueryOperators) {
    throw limitError(
      `the query has more than ${limits.maxQueryOperators} operators and brackets, the limit on how deeply a view's expressions may nest`,
      "SSP_VIEW_MAX_QUERY_OPERATORS",
    );
  }
}

/**
 * Counts operator characters, keyword operators and opening brackets outside
 * string literals, escaped identifiers and comments, stopping once past `stop`.
 * Over-counting (`<=` counts two, a field named `in` one) only makes the bound
 * stricter; what matters is that nothing that nests is missed.
 */
export function countOperators(source: string, stop = Infinity): number {
  let count = 0;
  let i = 0;
  const n = source.length;
  while (i < n && count <= stop) {
    const ch = source[i]!;
    const close = ch === '"' || ch === "'" || ch === "`" ? ch : ch === "⟨" ? "⟩" : undefined;
    if (close !== undefined) {
      i++;
      while (i < n && source[i] !== close) i += source[i] === "\\" ? 2 : 1;
      i++;
      continue;
    }
    if (ch === "#" || (ch === "-" && source[i + 1] === "-") || (ch === "/" && source[i + 1] === "/")) {
      while (i < n && source[i] !== "\n") i++;
      continue;
    }
    if (ch === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(source[j]!)) j++;
      if (KEYWORD_OPERATORS.has(source.slice(i, j).toLowerCase())) count++;
      i = j;
      continue;
    }
    if (OPERATOR_CHARS.has(ch)) count++;
    i++;
  }
  return count;
}

/** Throws INVALID_ARGUMENT when the AST nests deeper than MAX_AST_DEPTH (an iterative walk: the check itself cannot overflow). */
export function checkAstDepth(ast: unknown): void {
  const stack: [unknown, number][] = [[ast, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > MAX_AST_DEPTH) {
      throw new CircuitError("INVALID_ARGUMENT", `the query nests more than ${MAX_AST_DEPTH} levels deep once parsed (a fixed limit)`);
    }
    if (node !== null && typeof node === "object") {
      for (const child of Object.values(node)) if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
}

/** Throws INVALID_ARGUMENT when a subquery sits deeper than the limit (`depth` 0 is the view's own SELECT). */
export function checkSubqueryDepth(depth: number, limits: QueryLimits): void {
  if (depth > limits.maxSubqueryDepth) {
    throw limitError(`subqueries nest more than ${limits.maxSubqueryDepth} levels deep`, "SSP_VIEW_MAX_SUBQUERY_DEPTH");
  }
}
