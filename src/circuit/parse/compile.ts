/**
 * SurrealQL text → QueryPlan. The text is parsed by SurrealDB's own parser
 * (`@surrealdb/ql-wasm`); this file only walks its AST. Every construct not
 * listed here is rejected with the construct's name and position: the circuit
 * never approximates a query it cannot maintain exactly.
 */
import { CircuitError } from "../errors.js";
import { RecordId } from "../record-id.js";
import { chooseDispatch, type DispatchCandidate } from "../plan/dispatch-choice.js";
import { dispatchFor, type Dispatch } from "../plan/dispatch.js";
import type { Env } from "../plan/env.js";
import { type CountParam, type Evaluator, type OrderKey, type ParamRead, type QueryPlan, type Slice } from "../plan/query-plan.js";
import { BINARY_OPERATORS } from "../values/operators.js";
import { crossesLink, getPath, mayDereference, pathGetter, pathText, resolverFor, type Path, type PathPart } from "../values/path.js";
import { isTruthy, type Value } from "../values/value.js";
import { locate } from "./locate.js";
import { parenthesiseNegativeLiterals } from "./negative-literals.js";
import { checkAstDepth, checkQueryText, checkSubqueryDepth, type QueryLimits } from "./query-limits.js";
import { sharedParser, type SurrealQLParser } from "./surrealql-parser.js";

// The AST is SurrealDB's serde JSON; it is walked structurally.
type Ast = any;

interface Compiled {
  readonly eval: Evaluator;
  /** False when the value depends only on params, `$parent` and literals. */
  readonly readsRow: boolean;
  /** Set when the expression is exactly a row field path. */
  readonly rowPath?: Path;
  /** Set when the expression is constant. */
  readonly constant?: { value: Value };
}

interface Scope {
  readonly source: string;
  readonly depth: number;
  readonly params: Set<string>;
  /** Param reads with a path below the param (`$p.n`), checked against the bound values at registration. */
  readonly paramReads: ParamRead[];
  readonly parentPaths: Path[];
  /** WHERE's row paths that may cross a record link (not the select list's: those never change membership). */
  readonly derefPaths: Path[];
  /** START/LIMIT params, at any level. */
  readonly countParams: CountParam[];
  /** Set for a registration: restores and evaluation compile what was accepted before, unbounded. */
  readonly limits: QueryLimits | undefined;
  /** Set while compiling one select-list field: the row paths ending in `*` it reads (`author.*`). */
  readonly fetches?: Path[];
}

export interface CompileOptions {
  /** Bounds checked before and after parsing; none when omitted. */
  readonly limits?: QueryLimits;
  /** Defaults to the process's shared parser. */
  readonly parser?: SurrealQLParser;
}

/** Parses and compiles a view's query. Throws CircuitError (INVALID_ARGUMENT; UNAVAILABLE while the parser restarts). */
export function compileQuery(source: string, options: CompileOptions = {}): QueryPlan {
  if (source.trim().length === 0) throw invalid("the query is empty");
  const { limits, parser = sharedParser } = options;
  if (limits) checkQueryText(source, limits);
  const statements: Ast = parser.parse(parenthesiseNegativeLiterals(source));
  if (limits) checkAstDepth(statements);
  if (!Array.isArray(statements) || statements.length === 0) throw invalid("the query holds no statement");
  if (statements.length > 1) throw invalid(`a view is exactly one SELECT statement, found ${statements.length} statements`);
  const stmt = statements[0];
  if (!stmt || typeof stmt !== "object" || !("Select" in stmt)) {
    const kind = stmt && typeof stmt === "object" ? Object.keys(stmt)[0] : String(stmt);
    throw invalid(`only SELECT statements can be views, found ${String(kind).toUpperCase()}${locate(source, String(kind))}`);
  }
  return compileSelect(stmt.Select, { source, depth: 0, params: new Set(), paramReads: [], parentPaths: [], derefPaths: [], countParams: [], limits }, undefined);
}

function invalid(message: string): CircuitError {
  return new CircuitError("INVALID_ARGUMENT", message);
}

function unsupported(scope: Scope, construct: string, token: string, after?: string): CircuitError {
  return invalid(`${construct} is not supported in views${locate(scope.source, token, after)}`);
}

function compileSelect(sel: Ast, outer: Scope, index: number | undefined): QueryPlan {
  const scope: Scope = { ...outer, parentPaths: [], derefPaths: [] };
  if (sel.only) throw unsupported(scope, "SELECT … FROM ONLY", "ONLY");
  if (sel.version != null) throw unsupported(scope, "VERSION", "VERSION");
  if (sel.timeout != null) throw unsupported(scope, "TIMEOUT", "TIMEOUT");
  if (sel.explain != null) throw unsupported(scope, "EXPLAIN", "EXPLAIN");
  if (sel.with != null) throw unsupported(scope, "WITH", "WITH");
  if (sel.split != null) throw unsupported(scope, "SPLIT", "SPLIT");
  if (sel.group != null) throw unsupported(scope, "GROUP BY", "GROUP");
  if (sel.fetch != null) throw unsupported(scope, "FETCH", "FETCH");
  if (sel.omit != null) throw unsupported(scope, "OMIT", "OMIT");
  const [fields, isValue] = sel.expr as [Ast[], boolean];
  if (isValue) throw unsupported(scope, "SELECT VALUE", "VALUE");

  const what = sel.what as Ast[];
  if (what.length !== 1) throw unsupported(scope, "selecting FROM several targets", ",");
  const target = what[0];
  if (!target || typeof target !== "object" || typeof target.Table !== "string") {
    const kind = target && typeof target === "object" ? Object.keys(target)[0] : String(target);
    throw unsupported(scope, `FROM ${describeValueKind(kind)} (only one table)`, "FROM");
  }
  const table: string = target.Table;

  let where: Compiled | undefined;
  if (sel.cond != null) {
    where = compileExpr(sel.cond, scope);
  }
  const dispatch = where ? findDispatch(sel.cond, scope) : undefined;

  const projection = compileProjection(fields, { ...scope, derefPaths: [] });
  const order = compileOrder(sel.order, projection, scope);
  const start = sel.start == null ? 0 : count(sel.start, "START", scope);
  const limit = sel.limit == null ? Infinity : count(sel.limit, "LIMIT", scope);
  // `(…)[n]` keeps the n-th row of the window: the window [start + n, +1).
  const narrow = (s: number, l: number): Slice =>
    index === undefined ? { start: s, limit: l } : { start: s + index, limit: l === Infinity ? 1 : Math.max(0, Math.min(1, l - index)) };
  let fixedSlice: Slice | undefined;
  let slice: (env: Env) => Slice;
  if (typeof start === "number" && typeof limit === "number") {
    let fixed = narrow(start, limit);
    if (dispatch?.kind === "equal" && dispatch.rowPath.length === 1 && isField(dispatch.rowPath[0], "id") && fixed.start === 0 && fixed.limit >= 1) {
      // `id = …` matches at most one row, so a window starting at 0 keeps it: no top-k needed.
      fixed = { start: 0, limit: Infinity };
    }
    fixedSlice = fixed;
    slice = () => fixed;
  } else {
    const valueOf = (c: number | string, env: Env) => (typeof c === "number" ? c : (env.params[c] as number));
    slice = (env) => narrow(valueOf(start, env), valueOf(limit, env));
  }
  const windowed = fixedSlice ? fixedSlice.start > 0 || fixedSlice.limit !== Infinity : true;
  const whereEval = where && !where.constant ? where.eval : where?.constant && !isTruthy(where.constant.value) ? () => false : undefined;
  const plan: QueryPlan = {
    key: "",
    table,
    where: whereEval,
    dispatch,
    order: windowed ? order : [],
    slice,
    fixedSlice,
    windowed,
    subqueries: projection.subqueries,
    parentPaths: scope.parentPaths,
    // A fetch reads its records through the link index too, so a change to one reaches the rows fetching it.
    derefPaths: distinctPaths([
      ...scope.derefPaths,
      ...projection.subqueries.flatMap((sub) => sub.parentPaths.filter(mayDereference)),
      ...projection.fetchPaths.map((p): Path => [...p, { kind: "all" }]),
    ]),
    fetchPaths: distinctPaths(projection.fetchPaths),
    params: scope.params,
    paramReads: scope.paramReads,
    countParams: scope.countParams,
  };
  // The shape key: the AST (params unbound) plus the window modifier.
  const key = `${JSON.stringify(sel, bigintSafe)}${index === undefined ? "" : `[${index}]`}`;
  return { ...plan, key };
}

function distinctPaths(paths: Path[]): Path[] {
  const seen = new Map<string, Path>();
  for (const p of paths) seen.set(pathText(p), p);
  return [...seen.values()];
}

function isField(part: PathPart | undefined, name: string): boolean {
  return part !== undefined && part.kind === "field" && part.name === name;
}

function bigintSafe(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? `${v}n` : v;
}

function describeValueKind(kind: string | undefined): string {
  switch (kind) {
    case "Thing":
      return "a record id";
    case "Param":
      return "a parameter";
    case "Subquery":
      return "a subquery";
    default:
      return kind ?? "this target";
  }
}

/** START/LIMIT: a non-negative integer literal, or the name of a param (checked when bound: params.ts). */
function count(v: Ast, clause: "START" | "LIMIT", scope: Scope): number | string {
  if (v && typeof v === "object" && typeof v.Param === "string" && v.Param !== "parent" && !RESERVED_PARAMS.has(v.Param)) {
    scope.params.add(v.Param);
    scope.countParams.push({ name: v.Param, clause });
    return v.Param;
  }
  const n = v && typeof v === "object" && v.Number ? numberOf(v.Number) : undefined;
  if (n === undefined || !Number.isSafeInteger(n) || n < 0) {
    throw unsupported(scope, `${clause} with anything but a non-negative integer literal or a param`, clause);
  }
  return n;
}

function numberOf(n: Ast): number | undefined {
  if (typeof n !== "object" || n === null) return undefined;
  if ("Int" in n) return intOf(n.Int);
  if ("Float" in n) return Number(n.Float);
  if ("Decimal" in n) return Number(n.Decimal);
  return undefined;
}

function intOf(v: unknown): number {
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number") return v;
  return Number(String(v).replace(/n$/, ""));
}

// ---------- projection ----------

interface Projection {
  readonly all: boolean;
  /** Output names of subqueries: SurrealDB would order by their results, which the circuit does not. */
  readonly subqueryNames: Path[];
  /**
   * Output path → the expression producing it (for ORDER BY); `fetch` when it
   * fetches a record (`author.*`); `rowOnly` when it reads nothing but the row.
   */
  readonly outputs: { readonly path: Path; readonly expr: Compiled; readonly fetch?: Path | undefined; readonly rowOnly: boolean }[];
  readonly subqueries: QueryPlan[];
  /** Select-list `link.*` paths without the final `*`. */
  readonly fetchPaths: Path[];
}

function compileProjection(fields: Ast[], scope: Scope): Projection {
  const out: Projection = { all: false, outputs: [], subqueries: [], subqueryNames: [], fetchPaths: [] };
  let all = false;
  for (const f of fields) {
    if (f === "All") {
      all = true;
      continue;
    }
    const single = f?.Single;
    if (!single) throw unsupported(scope, "this projection", "SELECT");
    const alias: Path | undefined = single.alias ? compilePath(single.alias, scope) : undefined;
    const sub = subqueryOf(single.expr, scope);
    if (sub) {
      out.subqueries.push(sub);
      if (alias) out.subqueryNames.push(alias);
      continue;
    }
    const fetches: Path[] = [];
    const expr = compileExpr(single.expr, { ...scope, fetches });
    // Whether it reads nothing but the row (no param, `$parent` or link): then ORDER BY may sort on it.
    const probe = probeScope(scope);
    if (!expr.rowPath && !expr.constant) compileExpr(single.expr, probe);
    const rowOnly = probe.params.size === 0 && probe.parentPaths.length === 0 && probe.derefPaths.length === 0;
    const path = alias ?? expr.rowPath;
    let fetch: Path | undefined;
    if (fetches.length > 0) {
      // `author.*` fetches the linked record: it is a member while the row is (membership.ts).
      const whole = fetches.length === 1 && expr.rowPath !== undefined && samePath(ownFieldPath(expr.rowPath), fetches[0]!);
      if (!whole) throw unsupported(scope, "a path ending in .* inside an expression in the select list (only a whole field may fetch a record)", "*");
      const prefix = fetches[0]!.slice(0, -1);
      if (prefix.some((p) => p.kind === "all")) throw unsupported(scope, `the select-list path ${pathText(fetches[0]!)} (a * before the final .*)`, "*");
      out.fetchPaths.push(prefix);
      fetch = fetches[0];
    }
    if (path) out.outputs.push({ path, expr, fetch, rowOnly });
  }
  return { ...out, all };
}

/** `(SELECT …)` or `(SELECT …)[n]` in the select list, compiled one level deeper. */
function subqueryOf(expr: Ast, scope: Scope): QueryPlan | undefined {
  let sel: Ast;
  let index: number | undefined;
  if (expr?.Subquery?.Select) {
    sel = expr.Subquery.Select;
  } else if (Array.isArray(expr?.Idiom) && expr.Idiom[0]?.Start?.Subquery?.Select) {
    sel = expr.Idiom[0].Start.Subquery.Select;
    const rest = expr.Idiom.slice(1);
    const idx = rest[0]?.Index ? numberOf(rest[0].Index) : undefined;
    if (rest.length !== 1 || idx === undefined || !Number.isSafeInteger(idx) || idx < 0) {
      throw unsupported(scope, "a subquery followed by anything but [n]", ")");
    }
    index = idx;
  } else {
    return undefined;
  }
  const inner: Scope = { ...scope, depth: scope.depth + 1, parentPaths: [], derefPaths: [], fetches: undefined };
  if (scope.limits) checkSubqueryDepth(inner.depth, scope.limits);
  return compileSelect(sel, inner, index);
}

function compileOrder(order: Ast, projection: Projection, scope: Scope): OrderKey[] {
  if (order == null) return [];
  if (!order.Order) throw unsupported(scope, "ORDER BY RAND()", "RAND");
  const keys: OrderKey[] = [];
  for (const o of order.Order as Ast[]) {
    if (o.collate) throw unsupported(scope, "ORDER BY … COLLATE", "COLLATE");
    if (o.numeric) throw unsupported(scope, "ORDER BY … NUMERIC", "NUMERIC");
    const path = compilePath(o.value, scope);
    const get = orderGetter(path, projection, scope);
    keys.push({ get, descending: o.direction === false });
  }
  return keys;
}

/**
 * SurrealDB orders by the projected output, resolving the path against output
 * names first (`v AS o, tags AS v … ORDER BY v` orders by tags), then by a
 * field's source path (`v AS o … ORDER BY v`); with `*`, any other path reads
 * the stored row, even below an output name (`*, x AS o … ORDER BY o.y` reads the
 * row's `o.y`, as SurrealDB 3.0.2 does). It sorts on the stored document, never
 * following record links: `ORDER BY author.name` (and `id.name`) is NONE for a link.
 */
function orderGetter(path: Path, projection: Projection, scope: Scope): (row: Value) => Value {
  if (projection.subqueryNames.some((name) => samePath(name, path.slice(0, name.length)))) {
    throw unsupported(scope, `ORDER BY ${pathText(path)} (a subquery's result)`, pathText(path));
  }
  // The fetched record lands at the alias, or without one in place of the link (`author.*` → `author`).
  const fetching = projection.outputs.find((out) => {
    if (!out.fetch) return false;
    const at = out.path === out.expr.rowPath ? out.expr.rowPath.slice(0, -1) : out.path;
    return isPrefix(at, path) || isPrefix(path, at) || samePath(out.path, path);
  });
  if (fetching) {
    // SurrealDB orders by the fetched record (an object), the circuit's order keys by the stored link.
    throw unsupported(scope, `ORDER BY ${pathText(path)} (a record fetched through ${pathText(fetching.fetch!)})`, pathText(path));
  }
  const named = projection.outputs.find((out) => samePath(out.path, path));
  if (named) {
    if (named.expr.rowPath) return pathGetter(named.expr.rowPath);
    if (named.expr.constant) {
      const v = named.expr.constant.value;
      return () => v;
    }
    if (named.rowOnly) {
      // `n > 2 AS big … ORDER BY big`: SurrealDB sorts on the computed value, a function of the row alone.
      const evaluate = named.expr.eval;
      return (row) => evaluate(row, ROW_ONLY_ENV);
    }
    // One plan's order serves every view of it; a value read from params, `$parent` or a linked record is not the row's own.
    throw unsupported(scope, `ORDER BY ${pathText(path)} (a computed field reading a param, $parent or a record link)`, pathText(path));
  }
  const source = projection.outputs.find((out) => out.expr.rowPath && samePath(out.expr.rowPath, path));
  if (source) return pathGetter(source.expr.rowPath!);
  if (projection.all) return pathGetter(path);
  throw invalid(`ORDER BY ${pathText(path)}: the field is not in the selection${locate(scope.source, pathText(path))}`);
}

/** What a row-only expression is evaluated with: it reads none of it. */
const ROW_ONLY_ENV: Env = { params: {}, parent: undefined, resolve: () => undefined };

/** A scope that collects what an expression reads, for inspection only (its plan is discarded). */
function probeScope(scope: Scope): Scope {
  return { source: scope.source, depth: scope.depth, params: new Set(), paramReads: [], parentPaths: [], derefPaths: [], countParams: [], limits: scope.limits };
}

/** `a` is `b` or a path above it. */
function isPrefix(a: Path, b: Path): boolean {
  return a.length <= b.length && samePath(a, b.slice(0, a.length));
}

function samePath(a: Path, b: Path): boolean {
  return a.length === b.length && a.every((p, i) => JSON.stringify(p) === JSON.stringify(b[i]));
}

// ---------- expressions ----------

function compilePath(parts: Ast[], scope: Scope): Path {
  return parts.map((p): PathPart => {
    if (p === "All") return { kind: "all" };
    if (p && typeof p === "object") {
      if (typeof p.Field === "string") return { kind: "field", name: p.Field };
      if (p.Index) {
        const n = numberOf(p.Index);
        if (n !== undefined && Number.isSafeInteger(n) && n >= 0) return { kind: "index", index: n };
      }
      if (p.Graph) throw unsupported(scope, "graph traversal (->, <-)", p.Graph.dir === "In" ? "<-" : "->");
      if (p.Where) throw unsupported(scope, "filtering a path with [WHERE …]", "WHERE");
      if (p.Method) throw unsupported(scope, "method calls", ".");
    }
    const name = typeof p === "string" ? p : Object.keys(p ?? {})[0];
    throw unsupported(scope, `the path part ${name}`, "[");
  });
}

function compileExpr(e: Ast, scope: Scope): Compiled {
  if (e === "None") return constant(undefined);
  if (e === "Null") return constant(null);
  if (typeof e !== "object" || e === null) throw invalid(`unexpected expression ${JSON.stringify(e)}`);
  if ("Bool" in e) return constant(Boolean(e.Bool));
  if ("Number" in e) {
    const n = numberOf(e.Number);
    if (n === undefined) throw unsupported(scope, "this number literal", "");
    return constant(n);
  }
  if ("Strand" in e) return constant(String(e.Strand));
  if ("Thing" in e) return constant(thingOf(e.Thing, scope));
  if ("Array" in e) return compileArray(e.Array as Ast[], scope);
  if ("Object" in e) return compileObject(e.Object as { [k: string]: Ast }, scope);
  if ("Param" in e) return compileParam(String(e.Param), [], scope);
  if ("Idiom" in e) return compileIdiom(e.Idiom as Ast[], scope);
  if ("Expression" in e) return compileOperation(e.Expression, scope);
  if ("Subquery" in e) {
    if (e.Subquery && "Value" in e.Subquery) return compileExpr(e.Subquery.Value, scope);
    throw unsupported(scope, "a subquery outside the select list", "(SELECT", "WHERE");
  }
  if ("Function" in e) {
    const fn = e.Function?.Normal;
    if (fn && fn[0] === "not" && Array.isArray(fn[1]) && fn[1].length === 1) {
      // `NOT(x)`: the older parser reads it as a call to `not`.
      const inner = compileExpr(fn[1][0], scope);
      return derived([inner], (row, env) => !isTruthy(inner.eval(row, env)));
    }
    const name = fn ? String(fn[0]) : Object.keys(e.Function ?? {})[0] ?? "function";
    throw unsupported(scope, `the function call ${name}()`, fn ? `${name}(` : "(");
  }
  const kind = Object.keys(e)[0] ?? "expression";
  throw unsupported(scope, `${kind} expressions`, "");
}

function constant(value: Value): Compiled {
  return { eval: () => value, readsRow: false, constant: { value } };
}

/** An expression over `parts`: folded to a constant when every part is one. */
function derived(parts: Compiled[], fn: Evaluator): Compiled {
  const readsRow = parts.some((p) => p.readsRow);
  if (parts.every((p) => p.constant)) {
    const value = fn(undefined, { params: {}, parent: undefined, resolve: () => undefined });
    return constant(value);
  }
  return { eval: fn, readsRow };
}

function thingOf(t: Ast, scope: Scope): RecordId {
  const id = t.id;
  if (id && "Number" in id) return new RecordId(String(t.tb), intOf(id.Number));
  if (id && "String" in id) return new RecordId(String(t.tb), String(id.String));
  throw unsupported(scope, "record ids with array, object or generated keys", `${String(t.tb)}:`);
}

function compileArray(items: Ast[], scope: Scope): Compiled {
  const parts = items.map((i) => compileExpr(i, scope));
  return derived(parts, (row, env) => parts.map((p) => p.eval(row, env)));
}

function compileObject(obj: { [k: string]: Ast }, scope: Scope): Compiled {
  const entries = Object.entries(obj).map(([k, v]) => [k, compileExpr(v, scope)] as const);
  return derived(
    entries.map(([, c]) => c),
    (row, env) => {
      const out: { [k: string]: Value } = {};
      for (const [k, c] of entries) out[k] = c.eval(row, env);
      return out;
    },
  );
}

function compileParam(name: string, rest: Path, scope: Scope): Compiled {
  if (scope.fetches && rest.length > 0 && rest[rest.length - 1]!.kind === "all") {
    // `$p.*` / `$parent.author.*` would fetch a record from outside the rows: not maintained.
    throw unsupported(scope, `the select-list path $${name}.${pathText(rest)} (fetching a record through a param)`, `$${name}`);
  }
  if (name === "parent") {
    if (scope.depth === 0) throw invalid(`$parent is only meaningful inside a subquery${locate(scope.source, "$parent")}`);
    const read = ownFieldPath(rest);
    scope.parentPaths.push(read);
    if (!mayDereference(read)) return { eval: (_row, env) => getPath(env.parent, read), readsRow: false };
    // Evaluating a row as it was before a change, the parent's links read as they were then too.
    return { eval: (row, env) => getPath(env.parent, read, 0, resolverFor(row, env.resolve)), readsRow: false };
  }
  if (RESERVED_PARAMS.has(name)) throw unsupported(scope, `the built-in parameter $${name}`, `$${name}`);
  scope.params.add(name);
  if (rest.length === 0) return { eval: (_row, env) => env.params[name], readsRow: false };
  if (!rest.some((part) => part.kind !== "index")) return { eval: (_row, env) => getPath(env.params[name], rest), readsRow: false };
  // `$p.n` with `p` a record link reads the linked record (the view depends on it: params.ts).
  scope.paramReads.push({ name, path: rest });
  return { eval: (_row, env) => getPath(env.params[name], rest, 0, env.resolve), readsRow: false };
}

/**
 * `id.name` dereferences the row's own id, that is, reads the row itself: the
 * path without its `id` (in WHERE and `$parent` paths, where SurrealDB follows links).
 */
function ownFieldPath(path: Path): Path {
  return path.length > 1 && isField(path[0], "id") && path[1]!.kind !== "index" ? ownFieldPath(path.slice(1)) : path;
}

const RESERVED_PARAMS = new Set(["this", "value", "auth", "session", "token", "scope", "access", "before", "after", "event", "input"]);

function compileIdiom(parts: Ast[], scope: Scope): Compiled {
  const first = parts[0];
  if (first && typeof first === "object" && "Start" in first) {
    const start = first.Start;
    const rest = compilePath(parts.slice(1), scope);
    if (start && typeof start === "object" && "Param" in start) return compileParam(String(start.Param), rest, scope);
    if (start && typeof start === "object" && "Subquery" in start && start.Subquery.Select) {
      throw unsupported(scope, "a subquery outside the select list", "(SELECT", "WHERE");
    }
    const base = compileExpr(start, scope);
    if (base.constant && crossesLink(base.constant.value, rest)) {
      // `user:1.name` reads a record the view does not otherwise depend on.
      throw unsupported(scope, "record-link dereference of a record id literal", ".");
    }
    if (!base.constant && rest.some((part) => part.kind !== "index")) {
      // `($p).name`: the value may be a link, read from a record the view does not track.
      throw unsupported(scope, "a field path below a computed value", ".");
    }
    return derived([base], (row, env) => getPath(base.eval(row, env), rest));
  }
  const path = compilePath(parts, scope);
  const read = ownFieldPath(path);
  if (scope.fetches && read.length > 1 && read[read.length - 1]!.kind === "all") {
    scope.fetches.push(read);
  }
  if (!mayDereference(read)) {
    const get = pathGetter(read);
    return { eval: (row) => get(row), readsRow: true, rowPath: path };
  }
  // May cross a record link (`author.name`): SurrealDB reads the linked record.
  scope.derefPaths.push(read);
  return { eval: (row, env) => getPath(row, read, 0, resolverFor(row, env.resolve)), readsRow: true, rowPath: path };
}

function compileOperation(x: Ast, scope: Scope): Compiled {
  // A comparison or NOT yields a boolean, so a record its operands fetch
  // (`o.* IN []`) never lands in the result: it is read, not a member.
  const valueOnly: Scope = scope.fetches === undefined ? scope : { ...scope, fetches: undefined };
  if (x.Unary) {
    const v = compileExpr(x.Unary.v, x.Unary.o === "Not" ? valueOnly : scope);
    switch (x.Unary.o) {
      case "Not":
        return derived([v], (row, env) => !isTruthy(v.eval(row, env)));
      case "Neg":
        if (v.constant && typeof v.constant.value === "number") return constant(-v.constant.value);
        throw unsupported(scope, "negating anything but a number literal", "-");
      default:
        throw unsupported(scope, `the unary operator ${String(x.Unary.o)}`, "");
    }
  }
  const bin = x.Binary;
  if (!bin) throw unsupported(scope, `${Object.keys(x)[0]} expressions`, "");
  const op = String(bin.o);
  // AND and OR pass an operand's value through (`author.* OR 1` can be the record).
  const operandScope = op === "And" || op === "Or" ? scope : valueOnly;
  const l = compileExpr(bin.l, operandScope);
  const r = compileExpr(bin.r, operandScope);
  const le = l.eval;
  const re = r.eval;
  if (op === "And") {
    return derived([l, r], (row, env) => {
      const a = le(row, env);
      return isTruthy(a) ? re(row, env) : a;
    });
  }
  if (op === "Or") {
    return derived([l, r], (row, env) => {
      const a = le(row, env);
      return isTruthy(a) ? a : re(row, env);
    });
  }
  const fn = BINARY_OPERATORS[op];
  if (!fn) throw unsupported(scope, `the operator ${op}`, OPERATOR_TOKENS[op] ?? op);
  if (r.constant) {
    const rv = r.constant.value;
    return derived([l, r], (row, env) => fn(le(row, env), rv));
  }
  return derived([l, r], (row, env) => fn(le(row, env), re(row, env)));
}

const OPERATOR_TOKENS: { [op: string]: string } = {
  Add: "+",
  Sub: "-",
  Mul: "*",
  Div: "/",
  Pow: "**",
  Like: "~",
  NotLike: "!~",
  AllLike: "*~",
  AnyLike: "?~",
  AllEqual: "*=",
  AnyEqual: "?=",
  Tco: "?:",
  Nco: "??",
  Matches: "@@",
  Outside: "OUTSIDE",
  Intersects: "INTERSECTS",
};

// ---------- dispatch ----------

/**
 * The top-level conjuncts `field op E` (E reads no row, the field path crosses
 * no link) that could dispatch, and the best of them (plan/dispatch-choice.ts).
 */
function findDispatch(cond: Ast, scope: Scope): Dispatch | undefined {
  const probe = probeScope(scope);
  const candidates: DispatchCandidate[] = [];
  for (const [n, c] of conjuncts(cond).entries()) {
    const bin = c?.Expression?.Binary;
    if (!bin) continue;
    const l = compileExpr(bin.l, probe);
    const r = compileExpr(bin.r, probe);
    const rowOnLeft = isIndexablePath(l) && !r.readsRow;
    const [field, other] = rowOnLeft ? [l, r] : isIndexablePath(r) && !l.readsRow ? [r, l] : [undefined, undefined];
    if (!field?.rowPath || !other) continue;
    const envEval = other.eval;
    const dispatch = dispatchFor(String(bin.o), rowOnLeft, field.rowPath, pathGetter(field.rowPath), (env) => envEval(undefined, env));
    if (dispatch) candidates.push({ dispatch, constant: other.constant !== undefined, conjuncts: [n] });
  }
  return chooseDispatch(candidates);
}

/** A row field path whose value can key an index: one that cannot cross a record link. */
function isIndexablePath(c: Compiled): boolean {
  return c.rowPath !== undefined && !mayDereference(c.rowPath);
}

function conjuncts(cond: Ast): Ast[] {
  const bin = cond?.Expression?.Binary;
  if (bin && bin.o === "And") return [...conjuncts(bin.l), ...conjuncts(bin.r)];
  if (cond?.Subquery && "Value" in cond.Subquery) return conjuncts(cond.Subquery.Value);
  return [cond];
}
