/**
 * Baseline (b): SurrealDB itself re-running the affected views' queries.
 * An embedded `mem://` SurrealDB is loaded with the circuit's records (bound
 * params only), the equality fields the views filter on are indexed, and then
 * each change is applied to both; the time SurrealDB takes to answer the
 * queries of the views the change affected is what re-querying costs.
 */
import { createNodeEngines } from "@surrealdb/node";
import { RecordId as SdkRecordId, Surreal } from "surrealdb";
import { parseRecordId, type RecordChange, type ViewSpec, type WireValue } from "../../src/circuit/index.js";

export interface SurrealHandle {
  /** Applies one change (not timed by callers). */
  apply(change: RecordChange): Promise<void>;
  /** Runs a view's query; resolves when the rows have arrived. */
  query(view: ViewSpec): Promise<number>;
  close(): Promise<void>;
}

/** Wire JSON → SDK values: `{"$rid": "t:k"}` becomes a RecordId. */
export function toSdk(value: WireValue): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(toSdk);
  const rid = value.$rid;
  if (typeof rid === "string" && Object.keys(value).length === 1) return sdkId(rid);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toSdk(v);
  return out;
}

function sdkId(text: string): SdkRecordId {
  const id = parseRecordId(text);
  return new SdkRecordId(id.table, id.key);
}

const LOAD_CHUNK = 2_000;

export async function openSurreal(
  tables: readonly string[],
  indexes: readonly { table: string; field: string }[],
  records: Iterable<{ id: string; body: { [key: string]: WireValue } }>,
): Promise<SurrealHandle> {
  const db = new Surreal({ engines: createNodeEngines() });
  await db.connect("mem://");
  await db.use({ namespace: "bench", database: "bench" });
  // Table and field names are the workload's own identifiers, not input; values are all bound.
  const schema = [
    ...tables.map((t) => `DEFINE TABLE ${t} SCHEMALESS;`),
    ...indexes.map((i) => `DEFINE INDEX ${i.table}_${i.field} ON ${i.table} FIELDS ${i.field};`),
  ];
  await db.query(schema.join(" ")).collect();
  const byTable = new Map<string, unknown[]>();
  const flush = async (table: string, rows: unknown[]) => {
    await db.query(`INSERT INTO ${table} $rows`, { rows }).collect();
  };
  for (const r of records) {
    const row = { ...(toSdk(r.body) as Record<string, unknown>), id: sdkId(r.id) };
    const table = parseRecordId(r.id).table;
    let rows = byTable.get(table);
    if (!rows) byTable.set(table, (rows = []));
    rows.push(row);
    if (rows.length >= LOAD_CHUNK) {
      await flush(table, rows);
      byTable.set(table, []);
    }
  }
  for (const [table, rows] of byTable) if (rows.length > 0) await flush(table, rows);

  return {
    async apply(change) {
      const id = sdkId(change.id);
      if (change.op.toUpperCase() === "DELETE") await db.query("DELETE $id", { id }).collect();
      else await db.query("UPSERT $id CONTENT $body", { id, body: toSdk(change.body ?? {}) }).collect();
    },
    async query(view) {
      const params: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(view.params)) params[k] = toSdk(v);
      const [rows] = await db.query(view.surql, params).collect();
      return Array.isArray(rows) ? rows.length : 0;
    },
    async close() {
      // Closing an embedded engine holding many records can take a while; never hang the run on it.
      await Promise.race([db.close(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    },
  };
}
