/**
 * What the differential generator covers: every construct of the README's
 * grammar section ("Views: the SurrealQL SSP maintains"), named once here, and
 * which of them a generated view uses, read off its description (what the
 * generator emitted, not what it meant to). A run counts, per construct, the
 * views registered with it; a construct no view used fails the run.
 */
import { isIndexPart } from "./query/render.js";
import { linkHops } from "./arbitraries/records.js";
import { NONE, Ref, isObject } from "./arbitraries/values.js";
import type { Condition, Operand, Query, ViewDescription } from "./query/description.js";

export const CONSTRUCTS = [
  // select list
  "SELECT *",
  "field projection",
  "field AS alias",
  "projected path a.b",
  "projected path through a link",
  "[n] index in a path",
  "link.* (one link)",
  "a.b.* (through two links)",
  "link.* of an array of links",
  "link.* of a link in a nested object",
  "link.* without alias",
  "link.* in a subquery",
  "link.* under ORDER BY or LIMIT",
  "$param AS alias",
  "literal AS alias",
  "condition AS alias",
  // WHERE operators
  "=",
  "==",
  "!=",
  "<",
  "<=",
  ">",
  ">=",
  "CONTAINS",
  "CONTAINSNOT",
  "CONTAINSANY",
  "CONTAINSALL",
  "CONTAINSNONE",
  "IN",
  "INSIDE",
  "NOT IN",
  "NOTINSIDE",
  "ALLINSIDE",
  "ANYINSIDE",
  "NONEINSIDE",
  "IS <value>",
  "IS NOT <value>",
  "IS NONE",
  "IS NOT NONE",
  "IS NULL",
  "IS NOT NULL",
  "AND",
  "OR",
  "NOT (…)",
  "!",
  "( … )",
  "bare operand (truthiness)",
  // operands
  "integer literal",
  "float literal",
  "1.5dec literal",
  "2f literal",
  "string literal",
  "boolean literal",
  "NONE literal",
  "NULL literal",
  "record id literal",
  "array literal",
  "object literal",
  "$param",
  "$param.field",
  "$param.field through a link",
  "WHERE path through one link",
  "WHERE path through two links",
  "WHERE path with *",
  "WHERE path into an array of links",
  "WHERE path into a nested object's link",
  // ORDER BY, LIMIT, START
  "ORDER BY",
  "ORDER BY … ASC",
  "ORDER BY … DESC",
  "ORDER BY several keys",
  "ORDER BY an alias",
  "LIMIT n",
  "LIMIT $param",
  "START n",
  "START $param",
  "START before LIMIT",
  // subqueries
  "subquery",
  "subquery [0]",
  "nested subquery",
  "subquery with its own WHERE",
  "subquery ORDER BY",
  "subquery LIMIT",
  "subquery START",
  "$parent path",
  "$parent through one link",
  "$parent through two links",
  "$parent into an array of links",
  "$parent into a nested object's link",
  "subquery under LIMIT n",
  "subquery under LIMIT $param",
  "subquery under START n",
  "subquery under START $param",
  "subquery under a window with ORDER BY",
  "subquery under a window without ORDER BY",
  "FROM an empty table",
  // registrations
  "sibling view, same params",
  "sibling view, other params",
  "re-registration with a new query",
] as const;

export type Construct = (typeof CONSTRUCTS)[number];

/** How a view came to be registered, as far as coverage is concerned. */
export type RegistrationKind = "new" | "new query" | "same query" | "sibling, same params" | "sibling, other params";

/** Views registered per construct. */
export class Coverage {
  private readonly counts = new Map<Construct, number>(CONSTRUCTS.map((c) => [c, 0]));

  record(view: ViewDescription, kind: RegistrationKind, emptyTable: string): void {
    const used = constructsOf(view.query, emptyTable);
    if (kind === "new query") used.add("re-registration with a new query");
    if (kind === "sibling, same params") used.add("sibling view, same params");
    if (kind === "sibling, other params") used.add("sibling view, other params");
    for (const c of used) this.counts.set(c, this.counts.get(c)! + 1);
  }

  add(other: Coverage): void {
    for (const [c, n] of other.counts) this.counts.set(c, this.counts.get(c)! + n);
  }

  missing(): Construct[] {
    return CONSTRUCTS.filter((c) => this.counts.get(c) === 0);
  }

  table(): string {
    const width = Math.max(...CONSTRUCTS.map((c) => c.length));
    const lines = CONSTRUCTS.map((c) => `  ${c.padEnd(width)}  ${String(this.counts.get(c)).padStart(7)}${this.counts.get(c) === 0 ? "  ← never generated" : ""}`);
    return [`  ${"construct".padEnd(width)}  ${"views".padStart(7)}`, ...lines].join("\n");
  }
}

/** Every construct `q` (a top-level query) uses. */
export function constructsOf(q: Query, emptyTable: string): Set<Construct> {
  const used = new Set<Construct>();
  walkQuery(q, 0, undefined, used);
  if (q.table === emptyTable) used.add("FROM an empty table");
  return used;
}

function walkQuery(q: Query, level: number, parent: Query | undefined, used: Set<Construct>): void {
  const sub = level > 0;
  if (q.star) used.add("SELECT *");
  if (level >= 2) used.add("nested subquery");
  if (sub) {
    used.add("subquery");
    // The correlation is the WHERE's first conjunct; anything ANDed after it is the subquery's own.
    if (q.where?.kind === "and" && !q.where.parenthesised) used.add("subquery with its own WHERE");
    if (q.order.length > 0) used.add("subquery ORDER BY");
    if (q.limit !== undefined) used.add("subquery LIMIT");
    if (q.start !== undefined) used.add("subquery START");
  }
  if (parent && (parent.limit !== undefined || parent.start !== undefined)) {
    if (typeof parent.limit === "number") used.add("subquery under LIMIT n");
    if (typeof parent.limit === "string") used.add("subquery under LIMIT $param");
    if (typeof parent.start === "number") used.add("subquery under START n");
    if (typeof parent.start === "string") used.add("subquery under START $param");
    used.add(parent.order.length > 0 ? "subquery under a window with ORDER BY" : "subquery under a window without ORDER BY");
  }
  for (const f of q.fields) {
    switch (f.kind) {
      case "field":
        used.add(f.alias === undefined ? "field projection" : "field AS alias");
        walkPath(f.path, "projection", used);
        break;
      case "fetch": {
        used.add(linkHops(f.path) === 0 ? "link.* (one link)" : "a.b.* (through two links)");
        if (f.path[f.path.length - 1] === "links") used.add("link.* of an array of links");
        if (f.path.includes("l")) used.add("link.* of a link in a nested object");
        if (f.alias === undefined) used.add("link.* without alias");
        if (sub) used.add("link.* in a subquery");
        if (q.order.length > 0 || q.limit !== undefined) used.add("link.* under ORDER BY or LIMIT");
        if (f.path.some(isIndexPart)) used.add("[n] index in a path");
        break;
      }
      case "expr":
        if (f.expr.kind === "truthy" && f.expr.operand.kind === "param") used.add("$param AS alias");
        else if (f.expr.kind === "truthy" && f.expr.operand.kind === "literal") used.add("literal AS alias");
        else used.add("condition AS alias");
        walkCondition(f.expr, used);
        break;
      case "subquery":
        if (f.first) used.add("subquery [0]");
        walkQuery(f.query, level + 1, q, used);
        break;
    }
  }
  if (q.where) walkCondition(q.where, used);
  if (q.order.length > 0) used.add("ORDER BY");
  if (q.order.length > 1) used.add("ORDER BY several keys");
  for (const k of q.order) {
    if (k.direction === "ASC") used.add("ORDER BY … ASC");
    if (k.direction === "DESC") used.add("ORDER BY … DESC");
    if (k.alias !== undefined) used.add("ORDER BY an alias");
  }
  if (typeof q.limit === "number") used.add("LIMIT n");
  if (typeof q.limit === "string") used.add("LIMIT $param");
  if (typeof q.start === "number") used.add("START n");
  if (typeof q.start === "string") used.add("START $param");
  if (q.startFirst && q.start !== undefined && q.limit !== undefined) used.add("START before LIMIT");
}

function walkCondition(c: Condition, used: Set<Construct>): void {
  switch (c.kind) {
    case "compare":
      used.add(c.op === "IS" ? "IS <value>" : c.op === "IS NOT" ? "IS NOT <value>" : c.op);
      walkOperand(c.left, used);
      walkOperand(c.right, used);
      return;
    case "is":
      used.add(`IS ${c.negated ? "NOT " : ""}${c.what}`);
      walkOperand(c.operand, used);
      return;
    case "and":
    case "or":
      used.add(c.kind === "and" ? "AND" : "OR");
      if (c.parenthesised) used.add("( … )");
      walkCondition(c.left, used);
      walkCondition(c.right, used);
      return;
    case "not":
      used.add(c.spelling === "!" ? "!" : "NOT (…)");
      walkCondition(c.inner, used);
      return;
    case "truthy":
      used.add("bare operand (truthiness)");
      walkOperand(c.operand, used);
      return;
  }
}

function walkOperand(o: Operand, used: Set<Construct>): void {
  switch (o.kind) {
    case "field":
      walkPath(o.path, "where", used);
      return;
    case "literal":
      if (o.suffix === "dec") used.add("1.5dec literal");
      else if (o.suffix === "f") used.add("2f literal");
      else walkLiteral(o.value, used);
      return;
    case "param":
      if (o.path.length === 0) used.add("$param");
      // `$p3` is usually a link and `$p2.id` always one (views.ts): a path below them reads the linked record.
      else used.add(o.name === "p3" || (o.name === "p2" && o.path[0] === "id" && o.path.length > 1) ? "$param.field through a link" : "$param.field");
      return;
    case "parent": {
      used.add("$parent path");
      const hops = linkHops(o.path);
      if (hops === 1) used.add("$parent through one link");
      if (hops >= 2) used.add("$parent through two links");
      if (o.path[0] === "links") used.add("$parent into an array of links");
      if (o.path[0] === "o" && o.path[1] === "l") used.add("$parent into a nested object's link");
      if (o.path.some(isIndexPart)) used.add("[n] index in a path");
      return;
    }
  }
}

function walkPath(path: readonly string[], where: "projection" | "where", used: Set<Construct>): void {
  const hops = linkHops(path);
  if (path.some(isIndexPart)) used.add("[n] index in a path");
  if (where === "projection") {
    if (path.length > 1) used.add("projected path a.b");
    if (hops > 0) used.add("projected path through a link");
    return;
  }
  if (hops === 1) used.add("WHERE path through one link");
  if (hops >= 2) used.add("WHERE path through two links");
  if (path.includes("*")) used.add("WHERE path with *");
  if (path[0] === "links" && path.length > 1 && hops > 0) used.add("WHERE path into an array of links");
  if (path[0] === "o" && path[1] === "l" && hops > 0) used.add("WHERE path into a nested object's link");
}

function walkLiteral(v: unknown, used: Set<Construct>): void {
  if (v === NONE) used.add("NONE literal");
  else if (v === null) used.add("NULL literal");
  else if (v instanceof Ref) used.add("record id literal");
  else if (Array.isArray(v)) used.add("array literal");
  else if (typeof v === "number") used.add(Number.isInteger(v) ? "integer literal" : "float literal");
  else if (typeof v === "string") used.add("string literal");
  else if (typeof v === "boolean") used.add("boolean literal");
  else if (isObject(v as never)) used.add("object literal");
}
