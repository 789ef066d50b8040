/**
 * Compiles edge writes into ONE SurrealQL transaction: `BEGIN; …; COMMIT;` sent in a
 * single `db.query`, whatever the number of ops, views and edges. The text is
 * built only from fixed statements and generated parameter names (`$p0`, `$p1`…);
 * every value, record id and table name travels in the bindings.
 *
 * Consecutive ingests and replacements are folded into one segment where the last
 * write of each edge wins (the transaction is atomic, so only the net effect is
 * observable), which turns N concurrent single-record ingests into one statement.
 * Unregister and reset delete by predicate, so they close the segment before them.
 */
import type { RecordId as SdkRecordId } from "surrealdb";
import { EDGE_TABLE, edgeKey, edgeRecordId, recordId, viewContent, viewRecordId } from "./surreal-values.js";
import type { EdgeOp, EdgeStatementKind, MemberRef, RecordKey, RecordRef, ViewMeta } from "./types.js";

/** Rows per INSERT statement: keeps each statement's bound array moderate. */
const CHUNK = 2_000;

export interface EdgeRow {
  readonly viewId: string;
  readonly clientId: string;
  readonly table: string;
  readonly key: RecordKey;
  readonly version: number;
}

/** The net writes of a run of consecutive ops. */
export class WriteSegment {
  readonly metas = new Map<string, ViewMeta>();
  /** Views whose every edge must carry this clientId (a re-registration may change it). */
  readonly clientIds = new Map<string, string>();
  readonly upserts = new Map<string, EdgeRow>();
  readonly deletes = new Map<string, { viewId: string; table: string; key: RecordKey }>();
  /** Records removed by their actual id: stray edges and metadata found by a resync. */
  readonly deleteIds: SdkRecordId[] = [];

  get isEmpty(): boolean {
    return (
      this.metas.size + this.clientIds.size + this.upserts.size + this.deletes.size + this.deleteIds.length === 0
    );
  }

  upsert(viewId: string, clientId: string, [table, key, version]: MemberRef): void {
    const k = edgeKey(viewId, table, key);
    this.deletes.delete(k);
    this.upserts.set(k, { viewId, clientId, table, key, version });
  }

  delete(viewId: string, [table, key]: RecordRef): void {
    const k = edgeKey(viewId, table, key);
    this.upserts.delete(k);
    this.deletes.set(k, { viewId, table, key });
  }

  setMeta(meta: ViewMeta): void {
    this.metas.set(meta.viewId, meta);
    this.clientIds.set(meta.viewId, meta.clientId);
  }
}

/**
 * A rough size of a view's metadata as sent (characters of its JSON params and
 * query): what makes a transaction large, as edge rows are small.
 */
export function metaSize(meta: ViewMeta): number {
  return JSON.stringify(meta.params).length + meta.surrealQL.length + meta.clientId.length + meta.viewId.length;
}

/**
 * Splits the writes of a read-then-write op (a full registration or resync) into
 * segments of at most `maxRows` rows and about `maxBytes` of metadata each, to be
 * committed one after the other: a resync of every view would otherwise put every
 * view's metadata and every edge into one transaction, and SurrealDB refuses one
 * that is too large. Order: removals, metadata, edges, then the clientId fixes.
 * Committing them in turn is safe because the edge writer runs nothing in between,
 * and a crash half-way leaves the op in the outbox, to be read and diffed again.
 */
export function splitSegment(segment: WriteSegment, maxRows: number, maxBytes: number): WriteSegment[] {
  const parts: WriteSegment[] = [];
  let part = new WriteSegment();
  let rows = 0;
  let bytes = 0;
  const room = (addBytes: number): WriteSegment => {
    if (!part.isEmpty && (rows + 1 > maxRows || bytes + addBytes > maxBytes)) {
      parts.push(part);
      part = new WriteSegment();
      rows = 0;
      bytes = 0;
    }
    rows++;
    bytes += addBytes;
    return part;
  };
  for (const id of segment.deleteIds) room(0).deleteIds.push(id);
  for (const [key, d] of segment.deletes) room(0).deletes.set(key, d);
  for (const [viewId, meta] of segment.metas) room(metaSize(meta)).metas.set(viewId, meta);
  for (const [key, row] of segment.upserts) room(0).upserts.set(key, row);
  for (const [viewId, clientId] of segment.clientIds) room(0).clientIds.set(viewId, clientId);
  if (!part.isEmpty) parts.push(part);
  return parts;
}

type Step = { readonly kind: "segment"; readonly segment: WriteSegment } | { readonly kind: "unregister"; readonly viewId: string } | { readonly kind: "reset" };

export interface CompiledTransaction {
  readonly text: string;
  readonly bindings: Record<string, unknown>;
  /** What commits if the transaction does, for `ssp_edge_operations_total`. */
  readonly operations: ReadonlyMap<EdgeStatementKind, number>;
}

/** Folds blind ops (ingest, replace, unregister, reset) into ordered steps. */
export function planBlindOps(ops: readonly EdgeOp[]): Step[] {
  const steps: Step[] = [];
  let current: WriteSegment | undefined;
  const segment = (): WriteSegment => {
    if (current === undefined) {
      current = new WriteSegment();
      steps.push({ kind: "segment", segment: current });
    }
    return current;
  };
  for (const op of ops) {
    switch (op.kind) {
      case "ingest":
        for (const v of op.views) {
          const s = segment();
          for (const m of v.upserts) s.upsert(v.viewId, v.clientId, m);
          for (const r of v.deletes) s.delete(v.viewId, r);
        }
        break;
      case "replace": {
        const s = segment();
        s.setMeta(op.meta);
        for (const m of op.changes.upserts) s.upsert(op.meta.viewId, op.meta.clientId, m);
        for (const r of op.changes.deletes) s.delete(op.meta.viewId, r);
        break;
      }
      case "unregister":
        current = undefined;
        steps.push({ kind: "unregister", viewId: op.viewId });
        break;
      case "reset":
        current = undefined;
        steps.push({ kind: "reset" });
        break;
      case "register":
      case "resync":
        throw new Error(`${op.kind} reads before it writes and cannot be folded into a blind transaction`);
    }
  }
  return steps;
}

export function compileTransaction(steps: readonly Step[]): CompiledTransaction {
  const q = new QueryText();
  for (const step of steps) {
    if (step.kind === "segment") renderSegment(q, step.segment);
    else if (step.kind === "unregister") {
      const v = q.param(viewRecordId(step.viewId));
      q.statement(`DELETE ${EDGE_TABLE} WHERE in = ${v} RETURN NONE`);
      q.statement(`DELETE ${v} RETURN NONE`);
      q.count("unregister", 1);
    } else {
      q.statement(`DELETE ${EDGE_TABLE} RETURN NONE`);
      q.statement(`DELETE _spooky_incantation RETURN NONE`);
      q.count("reset", 1);
    }
  }
  return q.finish();
}

function renderSegment(q: QueryText, s: WriteSegment): void {
  if (s.deleteIds.length + s.deletes.size > 0) {
    const ids = [...s.deleteIds, ...[...s.deletes.values()].map((d) => edgeRecordId(d.viewId, d.table, d.key))];
    for (const chunk of chunks(ids)) q.statement(`DELETE ${q.param(chunk)} RETURN NONE`);
    q.count("delete", ids.length);
  }
  // Row-by-row FOR loops, not one bulk INSERT: SurrealDB 3.0's bulk
  // `INSERT RELATION … $rows` grows super-linearly (≈12 s for 1,000 rows, against
  // ≈0.3 s for this loop). RELATE with an existing id updates that edge, and a write
  // that changes nothing wakes no LIVE query.
  if (s.metas.size > 0) {
    const rows = [...s.metas.values()].map((m) => ({ id: viewRecordId(m.viewId), content: viewContent(m) }));
    q.statement(`FOR $m IN ${q.param(rows)} { UPSERT $m.id CONTENT $m.content RETURN NONE; }`);
    q.count("metadata", rows.length);
  }
  if (s.upserts.size > 0) {
    const rows = [...s.upserts.values()].map(edgeRow);
    for (const chunk of chunks(rows)) {
      q.statement(`FOR $e IN ${q.param(chunk)} { RELATE ($e.in)->($e.id)->($e.out) SET clientId = $e.clientId, version = $e.version RETURN NONE; }`);
    }
    q.count("relate", rows.length);
  }
  if (s.clientIds.size > 0) {
    // Only edges whose clientId differs are touched, so an unchanged re-registration
    // wakes no LIVE query.
    const fixes = [...s.clientIds].map(([viewId, clientId]) => ({ view: viewRecordId(viewId), clientId }));
    q.statement(
      `FOR $fix IN ${q.param(fixes)} { UPDATE ${EDGE_TABLE} SET clientId = $fix.clientId ` +
        "WHERE in = $fix.view AND clientId != $fix.clientId RETURN NONE; }",
    );
  }
}

function edgeRow(r: EdgeRow): Record<string, unknown> {
  return {
    id: edgeRecordId(r.viewId, r.table, r.key),
    in: viewRecordId(r.viewId),
    out: recordId(r.table, r.key),
    clientId: r.clientId,
    version: r.version,
  };
}

function* chunks<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += CHUNK) yield items.slice(i, i + CHUNK);
}

/** Statement list + bindings under generated names. */
class QueryText {
  readonly #statements: string[] = [];
  readonly #bindings: Record<string, unknown> = {};
  readonly #operations = new Map<EdgeStatementKind, number>();
  #next = 0;

  param(value: unknown): string {
    const name = `p${this.#next++}`;
    this.#bindings[name] = value;
    return `$${name}`;
  }

  statement(text: string): void {
    this.#statements.push(text);
  }

  count(operation: EdgeStatementKind, n: number): void {
    this.#operations.set(operation, (this.#operations.get(operation) ?? 0) + n);
  }

  finish(): CompiledTransaction {
    const body = this.#statements.map((s) => `${s};\n`).join("");
    return { text: `BEGIN TRANSACTION;\n${body}COMMIT TRANSACTION;`, bindings: this.#bindings, operations: this.#operations };
  }
}
