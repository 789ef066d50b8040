/**
 * The oracle: an embedded SurrealDB (`mem://`) holding the same records as the
 * engine under test, asked the same queries. A view's membership is the id of
 * every row SurrealDB returns for it, at every level: the top-level rows, the
 * rows of every subquery, and the records a `link.*` projection fetched into a
 * row. Which values are rows is known from the description, never guessed from
 * their shape: a record link stored in a field is not a row, nor is an object
 * that holds an `id` (a nested object of a body, a param projected as a value).
 *
 * One connection serves many sequences: `reset()` switches to a fresh database
 * and defines every table (SurrealDB 3 refuses SELECT on an undefined table).
 */
import { createNodeEngines } from "@surrealdb/node";
import { SurrealQL } from "@surrealdb/ql-wasm";
import { RecordId as SdkRecordId, Surreal } from "surrealdb";
import type { Change } from "./arbitraries/records.js";
import { EMPTY_TABLE, TABLES, type Val, idKey, toSdk } from "./arbitraries/values.js";
import type { Projection, Query, ViewDescription } from "./query/description.js";
import { renderQuery } from "./query/render.js";

const NAMESPACE = "differential";

export class SurrealOracle {
  private database: string | undefined;
  private generation = 0;

  private constructor(private readonly db: Surreal) {}

  static async open(): Promise<SurrealOracle> {
    const db = new Surreal({ engines: createNodeEngines() });
    await db.connect("mem://");
    const oracle = new SurrealOracle(db);
    await oracle.reset();
    return oracle;
  }

  /** Drops every record: switches to a new, empty database with `tables` defined. */
  async reset(tables: readonly string[] = [...TABLES, EMPTY_TABLE]): Promise<void> {
    const previous = this.database;
    this.database = `seq${++this.generation}`;
    await this.db.use({ namespace: NAMESPACE, database: this.database });
    // DEFINE TABLE takes an identifier, not a param; the table names are ours and plain.
    await this.db.query(tables.map((t) => `DEFINE TABLE ${t} SCHEMALESS;`).join(" ")).collect();
    if (previous !== undefined) await this.db.query(`REMOVE DATABASE IF EXISTS ${previous}`).collect();
  }

  /** Applies changes in order, in one round trip: CREATE/UPDATE replace the body (upsert), DELETE removes. */
  async apply(changes: readonly Change[]): Promise<void> {
    await this.step(changes, []);
  }

  /** Membership of a described view: `idKey`s of every row at every level. */
  async membership(view: ViewDescription): Promise<Set<string>> {
    const [members] = await this.step([], [view]);
    return members!;
  }

  /**
   * Applies `changes`, then reads the membership of each view, all in one round
   * trip (the embedded engine's per-call overhead dominates small queries).
   */
  async step(changes: readonly Change[], views: readonly ViewDescription[]): Promise<Set<string>[]> {
    const statements: string[] = [];
    const params: Record<string, unknown> = {};
    changes.forEach((c, i) => {
      params[`id${i}`] = new SdkRecordId(c.record.table, c.record.key);
      if (c.op === "DELETE") statements.push(`DELETE $id${i};`);
      else {
        params[`body${i}`] = toSdk(c.body ?? {});
        statements.push(`UPSERT $id${i} CONTENT $body${i};`);
      }
    });
    views.forEach((view, i) => {
      const paramPrefix = `v${i}_`;
      for (const [k, v] of Object.entries(view.params)) params[paramPrefix + k] = toSdk(v);
      statements.push(`${renderQuery(view.query, { withIds: true, paramPrefix })};`);
    });
    if (statements.length === 0) return [];
    const results = await this.db.query(statements.join("\n"), params).collect();
    return views.map((view, i) => {
      const out = new Set<string>();
      collectRows(results[changes.length + i], view.query, out);
      return out;
    });
  }

  /** Runs any SurrealQL with wire-style params (record links as `Ref`); returns the last statement's result. */
  async run(surql: string, params: { readonly [name: string]: Val } = {}): Promise<unknown> {
    const bound: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(params)) bound[k] = toSdk(v);
    const results = await this.db.query(surql, bound).collect();
    return results[results.length - 1];
  }

  /** Every stored record's `idKey`, for sanity checks. */
  async recordKeys(): Promise<Set<string>> {
    const out = new Set<string>();
    for (const t of TABLES) {
      const ids = (await this.run(`SELECT VALUE id FROM ${t}`)) as SdkRecordId[];
      for (const id of ids) out.add(sdkIdKey(id));
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.database !== undefined) await this.db.query(`REMOVE DATABASE IF EXISTS ${this.database}`).collect();
    await this.db.close();
  }
}

export function sdkIdKey(id: SdkRecordId): string {
  return idKey(id.table.name, id.id as string | number | bigint);
}

/**
 * Walks a result by its description: each row's `id`, each subquery's rows
 * under its alias, and the records each `link.*` projection fetched.
 */
function collectRows(rows: unknown, q: Query, out: Set<string>): void {
  if (!Array.isArray(rows)) throw new Error(`oracle: expected rows for ${q.table}, got ${String(rows)}`);
  for (const row of rows as Record<string, unknown>[]) {
    const id = row.id;
    if (!(id instanceof SdkRecordId)) throw new Error(`oracle: a ${q.table} row has no record id: ${String(row)}`);
    out.add(sdkIdKey(id));
    for (const f of q.fields) {
      if (f.kind === "fetch") collectFetched(row[fetchOutputName(f)], out);
      if (f.kind !== "subquery") continue;
      const value = row[f.alias];
      if (f.first) {
        if (value !== undefined && value !== null) collectRows([value], f.query, out);
      } else collectRows(value, f.query, out);
    }
  }
}

/** Where SurrealDB puts a `link.*` projection: its alias, else (one-field paths only) the field's name. */
export function fetchOutputName(f: Extract<Projection, { kind: "fetch" }>): string {
  if (f.alias !== undefined) return f.alias;
  if (f.path.length !== 1) throw new Error(`oracle: an unaliased fetch must be one field, got ${f.path.join(".")}`);
  return f.path[0]!;
}

/**
 * What `link.*` put in a row: the linked record's content (with its `id`), an
 * array of them for an array of links (NONE for a missing record), or, when the
 * field held no link, a plain value. Only the fetched records are rows.
 */
function collectFetched(value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) collectFetched(v, out);
    return;
  }
  if (value !== null && typeof value === "object" && !(value instanceof SdkRecordId)) {
    const id = (value as Record<string, unknown>).id;
    if (id instanceof SdkRecordId) out.add(sdkIdKey(id));
  }
}

/** Whether the ql-wasm parser (the one the circuit uses) accepts `surql`. */
export function qlWasmParses(surql: string): boolean {
  try {
    SurrealQL.parse(surql);
    return true;
  } catch {
    return false;
  }
}

/**
 * Texts SurrealDB 3 accepts but ql-wasm 0.2.0-beta.10 refuses: it lexes `< -1`
 * as the graph arrow `<-`.
 */
export function hasKnownQlWasmGap(surql: string): boolean {
  return /<\s*-/.test(surql);
}
