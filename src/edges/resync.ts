/**
 * Ops that make SurrealDB equal to a known membership (a full registration, a
 * resync): read what SurrealDB holds (one round trip), then write only the
 * difference (one more). Writing only the difference keeps LIVE subscribers quiet
 * about edges that did not change.
 *
 * The edge writer runs these alone, between two of its own transactions, so
 * nothing SSP writes can slip between the read and the write.
 */
import { RecordId as SdkRecordId } from "surrealdb";
import { EDGE_TABLE, VIEW_TABLE, edgeKey, edgeRecordId, viewRecordId } from "./surreal-values.js";
import { WriteSegment } from "./transaction.js";
import type { EdgeDatabase, EdgeOp, ResyncCounts, ResyncView } from "./types.js";

interface StoredEdge {
  readonly id: SdkRecordId;
  readonly in: unknown;
  readonly out: unknown;
  readonly version: unknown;
  readonly clientId: unknown;
}

export interface DiffPlan {
  readonly segment: WriteSegment;
  readonly counts: ResyncCounts;
}

type ReadOp = Extract<EdgeOp, { kind: "register" | "resync" }>;

/** Reads SurrealDB's side of `op` in one round trip and returns the writes that fix it. */
export async function planReadOp(db: EdgeDatabase, op: ReadOp): Promise<DiffPlan> {
  const views: readonly ResyncView[] = op.kind === "register" ? [{ meta: op.meta, members: op.members }] : op.views;
  const all = op.kind === "resync" && op.all;

  const bindings: Record<string, unknown> = {};
  let text: string;
  if (all) {
    text = `SELECT id, in, out, version, clientId FROM ${EDGE_TABLE}; SELECT VALUE id FROM ${VIEW_TABLE};`;
  } else {
    // One statement per view, each served by the (in, out) index.
    text = views
      .map((v, i) => {
        bindings[`v${i}`] = viewRecordId(v.meta.viewId);
        return `SELECT id, in, out, version, clientId FROM ${EDGE_TABLE} WHERE in = $v${i};`;
      })
      .join("\n");
  }
  const results = views.length === 0 && !all ? [] : await db.query(text, bindings);

  const stored: StoredEdge[] = [];
  let storedViews: SdkRecordId[] = [];
  if (all) {
    stored.push(...((results[0] ?? []) as StoredEdge[]));
    storedViews = (results[1] ?? []) as SdkRecordId[];
  } else {
    for (const r of results) stored.push(...((r ?? []) as StoredEdge[]));
  }
  return diff(views, stored, storedViews);
}

function diff(views: readonly ResyncView[], stored: readonly StoredEdge[], storedViews: readonly SdkRecordId[]): DiffPlan {
  const segment = new WriteSegment();
  const wanted = new Map<string, { viewId: string; clientId: string; table: string; key: string | number; version: number }>();
  for (const { meta, members } of views) {
    segment.setMeta(meta);
    for (const [table, key, version] of members) {
      wanted.set(edgeKey(meta.viewId, table, key), { viewId: meta.viewId, clientId: meta.clientId, table, key, version });
    }
  }

  let removed = 0;
  let updated = 0;
  const present = new Set<string>();
  for (const edge of stored) {
    const ref = edgeRef(edge);
    const want = ref === undefined ? undefined : wanted.get(ref.key);
    if (ref === undefined || want === undefined || !ref.canonical) {
      segment.deleteIds.push(edge.id);
      removed++;
      continue;
    }
    present.add(ref.key);
    if (edge.version !== want.version || edge.clientId !== want.clientId) {
      segment.upsert(want.viewId, want.clientId, [want.table, want.key, want.version]);
      updated++;
    }
  }

  let added = 0;
  for (const [key, want] of wanted) {
    if (present.has(key)) continue;
    segment.upsert(want.viewId, want.clientId, [want.table, want.key, want.version]);
    added++;
  }

  const keep = new Set(views.map((v) => v.meta.viewId));
  let viewsRemoved = 0;
  for (const id of storedViews) {
    if (typeof id.id === "string" && keep.has(id.id)) continue;
    segment.deleteIds.push(id);
    viewsRemoved++;
  }
  return { segment, counts: { added, removed, updated, viewsRemoved } };
}

/**
 * The (view, record) an edge stands for, and whether its id is the deterministic
 * one SSP would write; undefined when it cannot be an SSP edge at all.
 */
function edgeRef(edge: StoredEdge): { key: string; canonical: boolean } | undefined {
  if (!(edge.in instanceof SdkRecordId) || !(edge.out instanceof SdkRecordId)) return undefined;
  const viewId = edge.in.id;
  const key = edge.out.id;
  if (typeof viewId !== "string" || (typeof key !== "string" && typeof key !== "number")) return undefined;
  const table = edge.out.table.name;
  return {
    key: edgeKey(viewId, table, key),
    canonical: edge.id.equals(edgeRecordId(viewId, table, key)),
  };
}
