/**
 * A fixed list of record changes replayed on a fresh circuit and on the
 * embedded SurrealDB, views registered first: after every step each view's
 * membership (ids and versions) must be SurrealDB's, and the circuit's delta
 * exactly the change in it. For pinning a reported sequence as a behaviour
 * test with SurrealDB itself as the expected answer.
 *
 * SurrealDB's membership here is every object in the result that carries a
 * record `id`, at any depth (compare-once.ts's rule): the rows, the rows of
 * every subquery and the records fetched through `link.*`. So the bodies of a
 * replay must not hold objects with an `id` of their own (an embedded id is
 * not a member: src/circuit/README.md), and every top-level row must carry its
 * `id` (SurrealDB drops it from a row whose select list renames it).
 */
import { RecordId as SdkRecordId } from "surrealdb";
import { Circuit, parseRecordId } from "../../src/circuit/index.js";
import type { WireValue } from "../../src/circuit/types.js";
import { type Val, Ref, idKey } from "./arbitraries/values.js";
import { type SurrealOracle, sdkIdKey } from "./oracle.js";

export interface ReplayStep {
  readonly op: "CREATE" | "UPDATE" | "DELETE";
  readonly id: string;
  readonly body?: { readonly [field: string]: WireValue };
}

export interface ReplayView {
  readonly id: string;
  readonly surql: string;
  readonly params?: { readonly [name: string]: WireValue };
}

/** What each view held after one step, on both engines, and whether the circuit's delta was the difference. */
export interface ReplayCheck {
  readonly step: number;
  readonly view: string;
  /** `table:key vN`, sorted. */
  readonly surrealdb: string[];
  readonly circuit: string[];
  /** `EVENT table:key vN`, sorted by id. */
  readonly expectedDelta: string[];
  readonly delta: string[];
}

/**
 * Replays `steps` on both engines, each one ingest (an array: one batch); one
 * check per view per step (step -1: at registration).
 */
export async function replaySteps(
  oracle: SurrealOracle,
  tables: readonly string[],
  views: readonly ReplayView[],
  steps: readonly (ReplayStep | readonly ReplayStep[])[],
): Promise<ReplayCheck[]> {
  await oracle.reset(tables);
  const circuit = new Circuit();
  const versions = new Map<string, { canonical: string; version: number }>();
  const held = new Map<string, Map<string, number>>();
  const out: ReplayCheck[] = [];

  const oracleMembers = async (view: ReplayView): Promise<Map<string, number>> => {
    const params: { [name: string]: Val } = {};
    for (const [k, v] of Object.entries(view.params ?? {})) params[k] = fromWire(v);
    const found = new Set<string>();
    const rows = await oracle.run(view.surql, params);
    // SurrealDB drops a renamed `id` from the row (`SELECT *, id AS pv`): such a row would be missed.
    if (!Array.isArray(rows) || rows.some((row) => !((row as { id?: unknown } | null)?.id instanceof SdkRecordId)))
      throw new Error(`replay: ${view.id} returned a row without its id; end the select list with \`id\``);
    collectRowIds(rows, found);
    return new Map([...found].map((id) => [id, versions.get(id)?.version ?? 0]));
  };

  for (const v of views) {
    const result = circuit.registerView({ id: v.id, surql: v.surql, params: v.params ?? {}, clientId: "replay", ttlMs: 0, lastActiveAt: 0 });
    const expected = await oracleMembers(v);
    held.set(v.id, expected);
    const got = new Map(result.view.members.map((m) => [idKey(m.id.table, m.id.key), m.version]));
    out.push({ step: -1, view: v.id, surrealdb: memberTexts(expected), circuit: memberTexts(got), expectedDelta: [], delta: [] });
  }

  for (const [i, entry] of steps.entries()) {
    const batch: readonly ReplayStep[] = isBatch(entry) ? entry : [entry];
    const result = circuit.ingest(batch.map((step) => ({ op: step.op, id: step.id, body: step.body })));
    for (const step of batch) {
      const rid = parseRecordId(step.id);
      const key = idKey(rid.table, rid.key);
      const ref = new Ref(rid.table, rid.key);
      if (step.op === "DELETE") {
        await oracle.run("DELETE $id", { id: ref });
      } else {
        const canonical = JSON.stringify(step.body ?? {});
        const was = versions.get(key);
        if (!was || was.canonical !== canonical) versions.set(key, { canonical, version: (was?.version ?? 0) + 1 });
        await oracle.run("UPSERT $id CONTENT $body", { id: ref, body: fromWire(step.body ?? {}) });
      }
    }
    for (const v of views) {
      const before = held.get(v.id)!;
      const after = await oracleMembers(v);
      held.set(v.id, after);
      const got = circuit.getView(v.id)!.members;
      const delta = result.views.find((d) => d.viewId === v.id)?.deltas ?? [];
      out.push({
        step: i,
        view: v.id,
        surrealdb: memberTexts(after),
        circuit: memberTexts(new Map(got.map((m) => [idKey(m.id.table, m.id.key), m.version]))),
        expectedDelta: diff(before, after),
        delta: delta.map((d) => `${d.event} ${idKey(d.id.table, d.id.key)} v${d.version}`),
      });
    }
  }
  return out;
}

function isBatch(entry: ReplayStep | readonly ReplayStep[]): entry is readonly ReplayStep[] {
  return Array.isArray(entry);
}

/** The checks where the circuit disagrees with SurrealDB, for a readable failure. */
export function disagreements(checks: readonly ReplayCheck[]): ReplayCheck[] {
  return checks.filter((c) => c.surrealdb.join() !== c.circuit.join() || c.expectedDelta.join() !== c.delta.join());
}

function memberTexts(m: ReadonlyMap<string, number>): string[] {
  return [...m].map(([id, v]) => `${id} v${v}`).sort();
}

function diff(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): string[] {
  const out: [string, string][] = [];
  for (const [id, v] of after) {
    const was = before.get(id);
    if (was === undefined) out.push([id, `CREATED ${id} v${v}`]);
    else if (was !== v) out.push([id, `UPDATED ${id} v${v}`]);
  }
  for (const [id, v] of before) if (!after.has(id)) out.push([id, `DELETED ${id} v${v}`]);
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, t]) => t);
}

/** Every record id the result holds as a row's own `id`, at any depth (rows, subquery rows, fetched records). */
export function collectRowIds(value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) for (const v of value) collectRowIds(v, out);
  else if (value !== null && typeof value === "object" && !(value instanceof SdkRecordId)) {
    const row = value as Record<string, unknown>;
    if (row.id instanceof SdkRecordId) out.add(sdkIdKey(row.id));
    for (const v of Object.values(row)) collectRowIds(v, out);
  }
}

/** A wire value (links as `{$rid}`) as the oracle's value. */
export function fromWire(w: WireValue): Val {
  if (w === null || typeof w !== "object") return w;
  if (Array.isArray(w)) return w.map(fromWire);
  const keys = Object.keys(w);
  if (keys.length === 1 && typeof w.$rid === "string") {
    const rid = parseRecordId(w.$rid);
    return new Ref(rid.table, rid.key);
  }
  const out: { [k: string]: Val } = {};
  for (const k of keys) out[k] = fromWire(w[k]!);
  return out;
}
