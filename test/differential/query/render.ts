/**
 * Renders a query description to SurrealQL. `withIds` (the oracle's text) ends
 * every projection list with `id`, so the oracle can read the id of every row
 * whatever the list renamed, and ends every ORDER BY with `id`: SurrealDB 3.0.2
 * keeps rows tied on the ORDER BY keys in id order only while it sorts at most
 * 20 of them with no literal LIMIT (beyond that its unstable sort shuffles
 * them); the circuit always breaks ties by id, as SurrealDB does below that
 * size. Nothing else about the text changes.
 */
import { escapeIdent, toSurql } from "../arbitraries/values.js";
import type { Condition, Operand, OrderKey, Projection, Query } from "./description.js";

export interface RenderOptions {
  readonly withIds?: boolean;
  /** Prefix every param name (`$p0` → `$v1_p0`), so several views can share one batch of statements. */
  readonly paramPrefix?: string;
}

export function renderQuery(q: Query, options: RenderOptions = {}): string {
  const projections: string[] = [];
  if (q.star) projections.push("*");
  for (const f of q.fields) projections.push(renderProjection(f, options));
  // Last, because SurrealDB 3.0.2 moves a renamed field out of the row: `SELECT *, id AS pv`
  // (and `SELECT id, id AS pv`) has no `id`; an `id` projected after the rename puts it back.
  if (options.withIds) projections.push("id");

  let text = `SELECT ${projections.join(", ")} FROM ${escapeIdent(q.table)}`;
  if (q.where) text += ` WHERE ${renderCondition(q.where, options)}`;
  if (q.order.length > 0) text += ` ORDER BY ${[...q.order.map(renderOrderKey), ...(options.withIds ? ["id"] : [])].join(", ")}`;
  const count = (c: number | string) => (typeof c === "number" ? String(c) : `$${options.paramPrefix ?? ""}${c}`);
  const limit = q.limit === undefined ? "" : ` LIMIT ${count(q.limit)}`;
  const start = q.start === undefined ? "" : ` START ${count(q.start)}`;
  text += q.startFirst ? start + limit : limit + start;
  return text;
}

function renderProjection(f: Projection, options: RenderOptions): string {
  const aliased = (text: string, alias: string | undefined) => (alias === undefined ? text : `${text} AS ${escapeIdent(alias)}`);
  if (f.kind === "field") return aliased(renderPath(f.path), f.alias);
  if (f.kind === "fetch") return aliased(renderPath([...f.path, "*"]), f.alias);
  if (f.kind === "expr") return aliased(renderCondition(f.expr, options), f.alias);
  return `(${renderQuery(f.query, options)})${f.first ? "[0]" : ""} AS ${escapeIdent(f.alias)}`;
}

function renderOrderKey(k: OrderKey): string {
  const target = k.alias === undefined ? renderPath(k.path) : escapeIdent(k.alias);
  return k.direction === undefined ? target : `${target} ${k.direction}`;
}

/** An index part, `[0]`, follows the part before it with no dot. */
export function renderPath(path: readonly string[]): string {
  let text = "";
  for (const part of path) {
    if (isIndexPart(part)) text += part;
    else text += (text === "" ? "" : ".") + (part === "*" ? part : escapeIdent(part));
  }
  return text;
}

export function isIndexPart(part: string): boolean {
  return /^\[\d+\]$/.test(part);
}

function below(param: string, path: readonly string[]): string {
  return path.length === 0 ? param : `${param}.${renderPath(path)}`;
}

export function renderOperand(o: Operand, options: RenderOptions = {}): string {
  switch (o.kind) {
    case "field":
      return renderPath(o.path);
    case "literal":
      return toSurql(o.value) + (o.suffix ?? "");
    case "param":
      return below(`$${options.paramPrefix ?? ""}${o.name}`, o.path);
    case "parent":
      return below("$parent", o.path);
  }
}

export function renderCondition(c: Condition, options: RenderOptions = {}): string {
  switch (c.kind) {
    case "compare":
      return `${renderOperand(c.left, options)} ${c.op} ${renderOperand(c.right, options)}`;
    case "is":
      return `${renderOperand(c.operand, options)} IS ${c.negated ? "NOT " : ""}${c.what}`;
    case "and":
    case "or": {
      const text = `${renderCondition(c.left, options)} ${c.kind.toUpperCase()} ${renderCondition(c.right, options)}`;
      return c.parenthesised ? `(${text})` : text;
    }
    case "not":
      if (c.spelling === "!" && c.inner.kind === "truthy") return `!${renderCondition(c.inner, options)}`;
      return `${c.spelling === "!" ? "!" : "NOT "}(${renderCondition(c.inner, options)})`;
    case "truthy":
      return renderOperand(c.operand, options);
  }
}
