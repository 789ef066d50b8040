/**
 * Views over the whole grammar the README promises ("Views: the SurrealQL SSP
 * maintains"; issues 4 and 23): `*`, field paths (with `[0]`) and aliases,
 * `link.*` and `a.b.*` fetches, values computed per row (`$p2 AS pv`,
 * `n > 1 AS big`); WHERE with every comparison, `IS <value>`, CONTAINS*,
 * IN/NOT IN, *INSIDE, IS NONE/NULL, NOT/!, AND/OR and parentheses; literals of
 * every type (`1.5dec`, `2f`, objects, NONE, NULL), params `$p` and `$p.field`,
 * record ids and arrays; ORDER BY over several keys; LIMIT and START, literal or
 * `$param`; and subqueries correlated through `$parent` (paths crossing one or
 * two links, links in arrays and nested objects), with `[0]`, nested up to three
 * levels below the top. `coverage.ts` names each construct and counts its uses.
 *
 * Only texts SurrealDB 3 accepts are generated: ORDER BY keys are projected
 * and `NOT` is always followed by parentheses. Paths walk through record links
 * (`author.n`, `thread.author.n`) in WHERE, `$parent` references, projections
 * and ORDER BY, except `id.n`, which only conditions read: projected, it would
 * replace the row's `id` in SurrealDB's output.
 */
import fc from "fast-check";
import type { Condition, ComparisonOp, Operand, OrderKey, Projection, Query, ViewDescription } from "../query/description.js";
import { FIELD_PATHS, LINK_ENDS, LINK_FIELDS, LINK_PATHS, STAR_PATHS } from "./records.js";
import { EMPTY_TABLE, NONE, type Table, type Val, keyArb, refArb, scalarArb, stringArb, tableArb, TABLES } from "./values.js";

export interface ViewOptions {
  /** Deepest subquery level (top level = 0). Default 3. */
  readonly maxLevel?: number;
  /** Allow `$parent` comparisons other than the correlation (e.g. `n < $parent.n`). Default true. */
  readonly freeParentRefs?: boolean;
  /**
   * Reference the unbound `$pz` (NONE in SurrealDB). Default false: the circuit
   * refuses a view that reads a param it was not given, by design.
   */
  readonly unboundParams?: boolean;
  /** How many AND/OR/NOT levels a WHERE may nest. Default 2. */
  readonly conditionDepth?: number;
  /**
   * Alias projections with names of stored fields (`n AS m, m AS n`), so ORDER
   * BY must resolve output names first. Default true.
   */
  readonly aliasShadowing?: boolean;
  /**
   * The top level is always windowed (LIMIT or START, literal or `$pn`, with or
   * without ORDER BY) and has a subquery, and subqueries are correlated through
   * `$parent` paths that cross links (`id = $parent.thread.author`,
   * `n = $parent.thread.n`): the shape of issue 23's bug B. Default false.
   */
  readonly windowedLinks?: boolean;
  /** Generate `link.*` projections. Default true; false looks past a known bug in them. */
  readonly linkFetches?: boolean;
}

/** What a condition may refer to where it is generated. */
interface Scope {
  readonly inSubquery: boolean;
  readonly freeParentRefs: boolean;
  readonly unboundParams: boolean;
}

/** Params every generated view is registered with (views may also read the unbound `$pz`, see ViewOptions). */
export const PARAM_NAMES = ["p0", "p1", "p2", "p3"] as const;

const objectParam: fc.Arbitrary<Val> = fc.record(
  { x: scalarArb, y: fc.record({ z: scalarArb }, { requiredKeys: [] }), id: refArb() },
  { requiredKeys: [] },
);

export const paramsArb: fc.Arbitrary<{ [name: string]: Val }> = fc.record({
  p0: fc.oneof({ arbitrary: scalarArb, weight: 4 }, { arbitrary: refArb(), weight: 1 }),
  p1: fc.array(fc.oneof({ arbitrary: scalarArb, weight: 3 }, { arbitrary: refArb(), weight: 1 }), { maxLength: 3 }),
  p2: objectParam,
  p3: fc.oneof(refArb(), scalarArb),
  // For `LIMIT $pn` / `START $pn`: a non-negative integer, as a view must bind it.
  pn: fc.integer({ min: 0, max: 3 }),
});

const COMPARISONS: readonly ComparisonOp[] = ["=", "==", "!=", "<", "<=", ">", ">="];
const SET_OPS: readonly ComparisonOp[] = ["CONTAINSANY", "CONTAINSALL", "CONTAINSNONE"];
const INSIDE_SET_OPS: readonly ComparisonOp[] = ["ALLINSIDE", "ANYINSIDE", "NONEINSIDE"];
const MEMBER_OPS: readonly ComparisonOp[] = ["IN", "INSIDE", "NOT IN", "NOTINSIDE"];

/** Paths a projection or ORDER BY may name. */
const OUTPUT_PATHS = [...FIELD_PATHS, ...LINK_PATHS.filter((p) => p[0] !== "id")];
const fieldPathArb = fc.constantFrom(...OUTPUT_PATHS);
/** Paths a condition may read. */
const conditionPathArb = fc.oneof(
  { arbitrary: fc.constantFrom(...FIELD_PATHS), weight: 6 },
  { arbitrary: fc.constantFrom(...LINK_PATHS), weight: 2 },
  { arbitrary: fc.constantFrom(...STAR_PATHS), weight: 1 },
);
const fieldArb: fc.Arbitrary<Operand> = conditionPathArb.map((path) => ({ kind: "field", path }));

const literalArb: fc.Arbitrary<Val> = fc.oneof(
  { arbitrary: scalarArb, weight: 8 },
  { arbitrary: refArb(), weight: 2 },
  { arbitrary: fc.constant<Val>(NONE), weight: 1 },
  { arbitrary: fc.array(scalarArb, { maxLength: 3 }), weight: 1 },
  { arbitrary: fc.record({ x: scalarArb }, { requiredKeys: [] }), weight: 1 },
);

const listLiteralArb: fc.Arbitrary<Val> = fc.oneof(
  { arbitrary: fc.array(fc.oneof({ arbitrary: scalarArb, weight: 4 }, { arbitrary: refArb(), weight: 1 }, { arbitrary: fc.constant<Val>(NONE), weight: 1 }), { maxLength: 3 }), weight: 6 },
  { arbitrary: stringArb, weight: 2 },
  { arbitrary: scalarArb, weight: 1 },
);

/** Numbers spelled as decimals (`1.5dec`) or floats (`2f`): SurrealDB compares them with stored numbers by value. */
const suffixedArb: fc.Arbitrary<Operand> = fc
  .tuple(fc.constantFrom(0, 1, 2, 3, 0.5, 1.5, 2.25, 0.1, 100), fc.constantFrom<"dec" | "f">("dec", "f"))
  .map(([value, suffix]): Operand => ({ kind: "literal", value, suffix }));

/** Paths below `$p2` (an object whose `id` is a link): `id.n` and `id.author.n` read linked records. */
const paramPathArb = fc.constantFrom<readonly string[]>(["x"], ["y", "z"], ["id"], ["nope"], ["id", "n"], ["id", "author", "n"]);

function operandArb(listy: boolean, scope: Scope): fc.Arbitrary<Operand> {
  const choices: fc.WeightedArbitrary<Operand>[] = [
    { arbitrary: (listy ? listLiteralArb : literalArb).map((value): Operand => ({ kind: "literal", value })), weight: 12 },
    ...(listy ? [] : [{ arbitrary: suffixedArb, weight: 1 }]),
    { arbitrary: fc.constantFrom(...PARAM_NAMES).map((name): Operand => ({ kind: "param", name, path: [] })), weight: 4 },
    { arbitrary: paramPathArb.map((path): Operand => ({ kind: "param", name: "p2", path })), weight: 2 },
    // `$p3` is often a link: `$p3.n` reads the linked record.
    { arbitrary: fc.constantFrom<readonly string[]>(["n"], ["s"]).map((path): Operand => ({ kind: "param", name: "p3", path })), weight: 1 },
  ];
  if (scope.unboundParams) choices.push({ arbitrary: fc.constant<Operand>({ kind: "param", name: "pz", path: [] }), weight: 1 });
  if (scope.inSubquery && scope.freeParentRefs) choices.push({ arbitrary: conditionPathArb.map((path): Operand => ({ kind: "parent", path })), weight: 3 });
  return fc.oneof(...choices);
}

function compareArb(scope: Scope): fc.Arbitrary<Condition> {
  const value = operandArb(false, scope);
  const list = operandArb(true, scope);
  const cmp = (ops: readonly ComparisonOp[], left: fc.Arbitrary<Operand>, right: fc.Arbitrary<Operand>) =>
    fc.tuple(fc.constantFrom(...ops), left, right).map(([op, l, r]): Condition => ({ kind: "compare", op, left: l, right: r }));
  return fc.oneof(
    { arbitrary: cmp(COMPARISONS, fieldArb, value), weight: 10 },
    { arbitrary: cmp(COMPARISONS, value, fieldArb), weight: 2 },
    { arbitrary: cmp(["CONTAINS", "CONTAINSNOT"], fieldArb, value), weight: 4 },
    { arbitrary: cmp(["CONTAINS", "CONTAINSNOT"], list, fieldArb), weight: 1 },
    { arbitrary: cmp(SET_OPS, fieldArb, list), weight: 4 },
    { arbitrary: cmp(INSIDE_SET_OPS, fieldArb, list), weight: 2 },
    { arbitrary: cmp(INSIDE_SET_OPS, list, fieldArb), weight: 1 },
    { arbitrary: cmp(["IS", "IS NOT"], fieldArb, value), weight: 2 },
    { arbitrary: cmp(MEMBER_OPS, fieldArb, list), weight: 4 },
    { arbitrary: cmp(MEMBER_OPS, value, fieldArb), weight: 2 },
    {
      arbitrary: fc.tuple(fc.oneof(fieldArb, value), fc.boolean(), fc.constantFrom<"NONE" | "NULL">("NONE", "NULL")).map(
        ([operand, negated, what]): Condition => ({ kind: "is", operand, negated, what }),
      ),
      weight: 3,
    },
    { arbitrary: fc.oneof({ arbitrary: fieldArb, weight: 4 }, { arbitrary: value, weight: 1 }).map((operand): Condition => ({ kind: "truthy", operand })), weight: 2 },
  );
}

const conditionCache = new Map<string, fc.Arbitrary<Condition>>();

/** Conditions up to `depth` connectives deep. */
function conditionArb(depth: number, scope: Scope): fc.Arbitrary<Condition> {
  const cacheKey = `${depth}/${scope.inSubquery}/${scope.freeParentRefs}/${scope.unboundParams}`;
  const cached = conditionCache.get(cacheKey);
  if (cached) return cached;
  const leaf = compareArb(scope);
  let arb = leaf;
  if (depth > 0) {
    const sub = conditionArb(depth - 1, scope);
    arb = fc.oneof(
      { arbitrary: leaf, weight: 4 },
      {
        arbitrary: fc.tuple(fc.constantFrom<"and" | "or">("and", "or"), sub, sub, fc.boolean()).map(
          ([kind, left, right, parenthesised]): Condition => ({ kind, left, right, parenthesised }),
        ),
        weight: 3,
      },
      { arbitrary: fc.tuple(fc.constantFrom<"!" | "NOT">("!", "NOT"), sub).map(([spelling, inner]): Condition => ({ kind: "not", spelling, inner })), weight: 1 },
    );
  }
  conditionCache.set(cacheKey, arb);
  return arb;
}

/**
 * How a subquery row is tied to its parent row. Tables and link fields are
 * chosen so that links usually resolve: a thread's author is looked up in
 * `user`, a user's rows are found through `author`, and so on.
 */
function correlationArb(parentTable: string, throughLinks: boolean): fc.Arbitrary<{ table: string; condition: Condition; first: boolean }> {
  const usually = (preferred: Table | undefined) =>
    preferred === undefined ? tableArb : fc.oneof({ arbitrary: fc.constant(preferred), weight: 4 }, { arbitrary: tableArb, weight: 1 });
  const field = (name: string): Operand => ({ kind: "field", path: [name] });
  const parent = (name: string): Operand => ({ kind: "parent", path: [name] });
  const eq = (left: Operand, right: Operand): Condition => ({ kind: "compare", op: "=", left, right });
  // The link field that points back at the parent's table, if any, else any link field.
  const backLinks = LINK_FIELDS.filter((l) => l.table === parentTable);
  const backLink = fc.oneof(
    { arbitrary: fc.constantFrom(...(backLinks.length > 0 ? backLinks : LINK_FIELDS)), weight: 3 },
    { arbitrary: fc.constantFrom(...LINK_FIELDS), weight: 1 },
  );
  const first = fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 2 });
  const throughLinkArbs: fc.WeightedArbitrary<{ table: string; condition: Condition; first: boolean }>[] = [
    // Forward through a path that ends at a link, crossing links, arrays and nested objects on the way:
    // `id = $parent.thread.author`, `id = $parent.o.l`, `id = $parent.links[0]`, `id IN $parent.links`.
    {
      arbitrary: fc.constantFrom(...LINK_ENDS.filter((p) => p.length > 1 || p[0] === "links")).chain((end) =>
        fc.tuple(usually(linkTarget(end)), fc.boolean(), first).map(([table, swap, first]) => ({
          table,
          condition:
            end[end.length - 1] === "links"
              ? ({ kind: "compare", op: "IN", left: field("id"), right: { kind: "parent", path: end } } as Condition)
              : swap
                ? eq({ kind: "parent", path: end }, field("id"))
                : eq(field("id"), { kind: "parent", path: end }),
          first,
        })),
      ),
      weight: 3,
    },
    // A join on a value read through one or two links: `n = $parent.thread.n`, `s = $parent.thread.author.s`.
    {
      arbitrary: fc
        .tuple(tableArb, fc.constantFrom<readonly string[]>(["thread"], ["author"], ["thread", "author"], ["o", "l"], ["links", "[0]"], ["author", "thread"]), fc.constantFrom("n", "s"), first)
        .map(([table, via, name, first]) => ({ table, condition: eq(field(name), { kind: "parent", path: [...via, name] }), first })),
      weight: 2,
    },
  ];
  if (throughLinks) return fc.oneof(...throughLinkArbs);
  return fc.oneof(
    ...throughLinkArbs,
    // Forward link: the author of a thread.
    {
      arbitrary: fc.constantFrom(...LINK_FIELDS).chain((l) =>
        fc.tuple(usually(l.table), fc.boolean(), first).map(([table, swap, first]) => ({
          table,
          condition: swap ? eq(parent(l.field), field("id")) : eq(field("id"), parent(l.field)),
          first,
        })),
      ),
      weight: 4,
    },
    // Backward link: the comments of a thread.
    {
      arbitrary: fc.tuple(backLink, tableArb, fc.boolean(), first).map(([l, table, swap, first]) => ({
        table,
        condition: swap ? eq(parent("id"), field(l.field)) : eq(field(l.field), parent("id")),
        first,
      })),
      weight: 4,
    },
    // A join on plain values: rows sharing the parent's `n` or `s` (or `tags`, whole arrays).
    {
      arbitrary: fc.tuple(tableArb, fc.constantFrom("n", "s", "tags"), fc.boolean(), first).map(([table, name, swap, first]) => ({
        table,
        condition: swap ? eq(parent(name), field(name)) : eq(field(name), parent(name)),
        first,
      })),
      weight: 1,
    },
    // Through an array of links, either way round.
    {
      arbitrary: fc.tuple(tableArb, fc.constantFrom(0, 1, 2), first).map(([table, form, first]) => ({
        table,
        condition:
          form === 0
            ? ({ kind: "compare", op: "IN", left: field("id"), right: parent("links") } as Condition)
            : form === 1
              ? ({ kind: "compare", op: "CONTAINS", left: parent("links"), right: field("id") } as Condition)
              : ({ kind: "compare", op: "CONTAINS", left: field("links"), right: parent("id") } as Condition),
        first,
      })),
      weight: 1,
    },
  );
}

/** The table a path ending at a link usually points at. */
function linkTarget(end: readonly string[]): Table | undefined {
  const last = [...end].reverse().find((p) => !/^\[/.test(p));
  return last === "author" || last === "l" ? "user" : last === "thread" ? "thread" : undefined;
}

const SUBQUERY_ALIASES = ["rows", "author", "thread", "items", "sub"] as const;
const FIELD_ALIASES = ["f1", "f2", "f3"] as const;
const SHADOWING_ALIASES = ["n", "s", "o", "v", "b", "tags"] as const;

function orderArb(star: boolean, fields: readonly Projection[], shadowed: ReadonlySet<string>): fc.Arbitrary<OrderKey[]> {
  const candidates: { path: readonly string[]; alias?: string | undefined }[] = [];
  if (star) {
    for (const path of OUTPUT_PATHS) if (!shadowed.has(path[0]!)) candidates.push({ path });
  } else {
    for (const f of fields) if (f.kind === "field") candidates.push({ path: f.path, alias: f.alias });
  }
  if (candidates.length === 0) return fc.constant<OrderKey[]>([]);
  const key = fc
    .tuple(fc.constantFrom(...candidates), fc.constantFrom<"ASC" | "DESC" | undefined>("ASC", "DESC", undefined))
    .map(([c, direction]): OrderKey => ({ path: c.path, alias: c.alias, direction }));
  return fc.oneof({ arbitrary: fc.constant<OrderKey[]>([]), weight: 2 }, { arbitrary: fc.array(key, { minLength: 1, maxLength: 2 }), weight: 3 });
}

// fc.option's nil chance is 1/freq, at least 1/2; weights give finer control.
const limitArb: fc.Arbitrary<number | string | undefined> = fc.oneof(
  { arbitrary: fc.constant("pn"), weight: 1 },
  { arbitrary: fc.constant(undefined), weight: 5 },
  { arbitrary: fc.constant(0), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 4 }), weight: 6 },
);
const startArb: fc.Arbitrary<number | string | undefined> = fc.oneof(
  { arbitrary: fc.constant("pn"), weight: 1 },
  { arbitrary: fc.constant(undefined), weight: 2 },
  { arbitrary: fc.integer({ min: 0, max: 3 }), weight: 1 },
);

/** LIMIT and START with at least one of them set. */
const windowArb: fc.Arbitrary<[number | string | undefined, number | string | undefined]> = fc
  .tuple(limitArb, startArb)
  .map(([limit, start]) => (limit === undefined && start === undefined ? [3, undefined] : [limit, start]));

function projectedFieldsArb(aliasShadowing: boolean): fc.Arbitrary<Projection[]> {
  const aliases = aliasShadowing ? fc.shuffledSubarray([...SHADOWING_ALIASES], { minLength: 3, maxLength: 3 }) : fc.constant([...FIELD_ALIASES]);
  return fc
    .uniqueArray(fieldPathArb, { minLength: 1, maxLength: 3, selector: (p) => p.join(".") })
    .chain((paths) =>
      fc.tuple(fc.tuple(...paths.map(() => fc.boolean())), aliases).map(([aliased, names]) =>
        paths.map((path, i): Projection => ({ kind: "field", path, alias: aliased[i] ? names[i] : undefined })),
      ),
    );
}

const FETCH_ALIASES = ["fa", "fb"] as const;

/**
 * `link.*` projections: aliased, or (one-field paths only) named after the field,
 * which SurrealDB then replaces by the fetched record.
 */
const fetchesArb: fc.Arbitrary<Projection[]> = fc.oneof(
  { arbitrary: fc.constant<Projection[]>([]), weight: 3 },
  {
    arbitrary: fc
      .uniqueArray(fc.tuple(fc.constantFrom(...LINK_ENDS), fc.boolean()), { minLength: 1, maxLength: 2, selector: ([p]) => p.join(".") })
      .map((ends) =>
        ends.map(([path, aliased], i): Projection => ({ kind: "fetch", path, alias: aliased || path.length > 1 ? FETCH_ALIASES[i] : undefined })),
      ),
    weight: 2,
  },
);

/** Values computed per row: a param (`$p2` holds an object with an `id`, which is no row), a literal, a condition. */
function exprsArb(scope: Scope): fc.Arbitrary<Projection[]> {
  const expr = fc.oneof(
    { arbitrary: fc.constantFrom(...PARAM_NAMES).map((name): Condition => ({ kind: "truthy", operand: { kind: "param", name, path: [] } })), weight: 2 },
    { arbitrary: fc.oneof(suffixedArb, literalArb.map((value): Operand => ({ kind: "literal", value }))).map((operand): Condition => ({ kind: "truthy", operand })), weight: 1 },
    { arbitrary: compareArb({ ...scope, freeParentRefs: false }), weight: 1 },
  );
  return fc.oneof(
    { arbitrary: fc.constant<Projection[]>([]), weight: 4 },
    { arbitrary: expr.map((e): Projection[] => [{ kind: "expr", expr: e, alias: "pv" }]), weight: 1 },
  );
}

/**
 * A query at `level` on `table`. `correlation` (for subqueries) is ANDed in
 * front of an optional extra condition.
 */
function queryArb(level: number, table: string, correlation: Condition | undefined, options: Required<ViewOptions>): fc.Arbitrary<Query> {
  const windowed = options.windowedLinks && level === 0;
  const childCount = level >= options.maxLevel ? fc.constant(0) : fc.integer({ min: windowed ? 1 : 0, max: level === 0 ? 2 : 1 });
  const children = childCount.chain((n) =>
    fc.tuple(
      ...Array.from({ length: n }, (_, i) =>
        correlationArb(table, options.windowedLinks).chain((c) =>
          queryArb(level + 1, c.table, c.condition, options).map(
            (query): Projection => ({ kind: "subquery", query, first: c.first, alias: SUBQUERY_ALIASES[(level + i) % SUBQUERY_ALIASES.length]! }),
          ),
        ),
      ),
    ),
  );
  const inSubquery = level > 0;
  const scope: Scope = { inSubquery, freeParentRefs: options.freeParentRefs, unboundParams: options.unboundParams };
  const extraWhere = fc.option(conditionArb(options.conditionDepth, scope), { nil: undefined, freq: inSubquery ? 2 : 4 });
  return fc
    .tuple(fc.boolean(), projectedFieldsArb(options.aliasShadowing), children, extraWhere, windowed ? windowArb : fc.tuple(limitArb, startArb), fc.boolean(), options.linkFetches ? fetchesArb : fc.constant([]), exprsArb(scope))
    .chain(([star, fields, subs, extra, [limit, start], startFirst, fetchCandidates, exprs]) => {
      const shadowed = new Set(subs.map((s) => (s.kind === "subquery" ? s.alias : "")));
      // An unaliased `author.*` is output as `author`: it must not meet a subquery alias, and it shadows the field.
      const fetches = fetchCandidates.filter((f) => f.kind !== "fetch" || f.alias !== undefined || !shadowed.has(f.path[0]!));
      for (const f of fetches) if (f.kind === "fetch" && f.alias === undefined) shadowed.add(f.path[0]!);
      // A projected path must not collide with a subquery alias or an unaliased fetch at the same level.
      const own = star ? [] : fields.filter((f) => f.kind === "field" && !shadowed.has(f.path[0]!));
      // Parenthesise the extra condition so `corr AND a OR b` cannot undo the correlation.
      const guarded = extra !== undefined && (extra.kind === "and" || extra.kind === "or") ? { ...extra, parenthesised: true } : extra;
      const where: Condition | undefined =
        correlation === undefined ? extra : guarded === undefined ? correlation : { kind: "and", left: correlation, right: guarded, parenthesised: false };
      return orderArb(star, own, shadowed).map(
        (order): Query => ({ table, star, fields: [...own, ...fetches, ...exprs, ...subs], where, order, limit, start, startFirst }),
      );
    });
}

export function viewArb(options: ViewOptions = {}): fc.Arbitrary<ViewDescription> {
  const full: Required<ViewOptions> = {
    maxLevel: options.maxLevel ?? 3,
    freeParentRefs: options.freeParentRefs ?? true,
    unboundParams: options.unboundParams ?? false,
    conditionDepth: options.conditionDepth ?? 2,
    aliasShadowing: options.aliasShadowing ?? true,
    windowedLinks: options.windowedLinks ?? false,
    linkFetches: options.linkFetches ?? true,
  };
  const topTable = fc.oneof({ arbitrary: tableArb as fc.Arbitrary<string>, weight: 12 }, { arbitrary: fc.constant(EMPTY_TABLE), weight: 1 });
  return fc.record({ query: topTable.chain((table) => queryArb(0, table, undefined, full)), params: paramsArb });
}

/**
 * A mix weighted towards views whose membership is large enough for ORDER BY,
 * LIMIT and START to matter: flat single-condition views, one-level views, the
 * full grammar, and windowed parents whose subqueries follow `$parent` links.
 */
export function mixedViewArb(options: ViewOptions = {}): fc.Arbitrary<ViewDescription> {
  return fc.oneof(
    { arbitrary: viewArb({ ...options, maxLevel: 0, conditionDepth: 0 }), weight: 2 },
    { arbitrary: viewArb({ ...options, maxLevel: Math.min(1, options.maxLevel ?? 1), conditionDepth: 1 }), weight: 2 },
    { arbitrary: viewArb(options), weight: 3 },
    { arbitrary: viewArb({ ...options, maxLevel: Math.min(2, options.maxLevel ?? 2), conditionDepth: 1, windowedLinks: true }), weight: 3 },
  );
}

/** Exposed for reuse (benchmarks, edge tests): the tables and keys views range over. */
export { TABLES, keyArb };
