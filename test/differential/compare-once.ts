/**
 * One query, one set of records, both engines: for minimising a mismatch by
 * hand and for pinning it as a regression test. SurrealDB's membership is every
 * object in the result that has a record `id`, at any depth: so end every level
 * of a hand-written reproducer's select list with `id` (SurrealDB drops a renamed
 * `id`: `SELECT *, id AS pv` has none), and keep `id` out of record bodies.
 */
import { Circuit, parseRecordId } from "../../src/circuit/index.js";
import type { WireValue } from "../../src/circuit/types.js";
import type { Change } from "./arbitraries/records.js";
import { type Table, type Val, TABLES, idKey } from "./arbitraries/values.js";
import { SurrealOracle } from "./oracle.js";
import { collectRowIds, fromWire } from "./replay-steps.js";

export interface Comparison {
  readonly surrealdb: string[];
  readonly circuit: string[];
}

/** `records` maps id text (`user:1`) to its wire body; `params` are wire JSON. */
export async function compareOnce(
  oracle: SurrealOracle,
  records: { readonly [id: string]: { readonly [field: string]: WireValue } },
  surql: string,
  params: { readonly [name: string]: WireValue } = {},
): Promise<Comparison> {
  const circuit = new Circuit();
  circuit.ingest(Object.entries(records).map(([id, body]) => ({ op: "CREATE", id, body })));
  const registered = circuit.registerView({ id: "v", surql, params, clientId: "c", ttlMs: 0, lastActiveAt: 0 });

  const changes: Change[] = Object.entries(records).map(([id, body]) => {
    const rid = parseRecordId(id);
    if (!(TABLES as readonly string[]).includes(rid.table)) throw new Error(`compareOnce: table ${rid.table} is not one of ${TABLES.join(", ")}`);
    return { op: "CREATE", record: { table: rid.table as Table, key: rid.key }, body: fromWire(body) as { [k: string]: Val }, spelling: "CREATE" };
  });
  await oracle.reset();
  await oracle.apply(changes);
  const wireParams: { [name: string]: Val } = {};
  for (const [k, v] of Object.entries(params)) wireParams[k] = fromWire(v);
  const found = new Set<string>();
  collectRowIds(await oracle.run(surql, wireParams), found);
  return {
    surrealdb: [...found].sort(),
    circuit: registered.view.members.map((m) => idKey(m.id.table, m.id.key)).sort(),
  };
}
