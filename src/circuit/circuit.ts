/**
 * The circuit: records in, per-view deltas out. It owns the record store, the
 * plan nodes (one per query shape, shared by views) and the views; every
 * mutation goes through `ingest`, `registerView`, `unregisterView` or `reset`.
 *
 * An ingest applies its changes one by one to the store, and each change is
 * pushed only to the query instances its plan nodes' dispatch indices select,
 * followed by the rows that read the changed record through a record link
 * (link-index.ts). Views log what they held before the batch touched them, so
 * at the end each affected view yields one net ViewDelta.
 */
import { CircuitError } from "./errors.js";
import { evaluatePlan, type EvalRow } from "./evaluate.js";
import { LinkIndex } from "./link-index.js";
import { Membership, type MembershipHost } from "./membership.js";
import { PlanNode } from "./operators/plan-node.js";
import { QueryInstance, type InstanceHost } from "./operators/query-instance.js";
import { bindParams, paramLinks } from "./params.js";
import { compileQuery } from "./parse/compile.js";
import type { QueryLimits } from "./parse/query-limits.js";
import { sharedParser, type SurrealQLParser } from "./parse/surrealql-parser.js";
import type { QueryPlan } from "./plan/query-plan.js";
import { RecordId, parseRecordId } from "./record-id.js";
import { RecordStore, VERSION, toRow, type Row } from "./store.js";
import { SNAPSHOT_FORMAT_VERSION, type CircuitSnapshot } from "./snapshot.js";
import { sortFew } from "./sort-few.js";
import type {
  Delta,
  IngestResult,
  Operation,
  RecordChange,
  RegisterResult,
  StoredRecord,
  UnregisterResult,
  ViewDelta,
  ViewSpec,
  ViewState,
  ViewSummary,
  WireValue,
} from "./types.js";
import { compareRecordIds, sameContent } from "./values/compare.js";
import { RESOLVE_BEFORE, type Resolve } from "./values/path.js";
import { isObject, type Value, type ValueObject } from "./values/value.js";
import { bodyFromWire, fromWire, isLink, toWire, type RecordIdInterner } from "./values/wire.js";

interface View {
  readonly spec: ViewSpec;
  readonly plan: QueryPlan;
  readonly params: { readonly [name: string]: Value };
  readonly membership: Membership;
  root: QueryInstance;
  /** Records its params reach through links (`$p.name`): a change to one rebuilds the view. */
  paramLinks: readonly string[];
  sequence: number;
}

export interface CircuitOptions {
  /** The SurrealQL parser views are compiled with; the process's shared one by default. */
  readonly parser?: SurrealQLParser;
}

interface ValidChange {
  readonly op: Operation;
  readonly id: RecordId;
  readonly body: (ValueObject & { id: RecordId }) | undefined;
  readonly version: number | undefined;
}

export class Circuit {
  private readonly store = new RecordStore();
  private readonly linkIndex = new LinkIndex();
  /** How paths read a linked record: from the store as it is now. */
  private readonly resolve: Resolve = (id) => this.store.get(id);
  private readonly nodes = new Map<string, PlanNode<QueryInstance>>();
  private readonly nodesByTable = new Map<string, Set<PlanNode<QueryInstance>>>();
  private readonly views = new Map<string, View>();
  /** Views per client id, kept with `views` (for quotas: counting must not scan every view). */
  private readonly viewCounts = new Map<string, number>();
  /** Views by the id text of each record their params reach through a link. */
  private readonly viewsByParamLink = new Map<string, Set<View>>();
  /** Views whose memberships this batch touched, in first-touch order. */
  private dirty: View[] = [];
  /** Record links in bodies share one RecordId per target. */
  private readonly links: RecordIdInterner = new Map();
  private staleIngests = 0;
  /**
   * The least sequence number this circuit has never issued, to any view, since
   * it was created (kept across reset and snapshots). A new view starts here, so
   * a view id that is unregistered and registered again never repeats a
   * sequence of its earlier incarnation and old resume cursors cannot match it.
   */
  private nextSequence = 0;

  private readonly instanceHost: InstanceHost = {
    store: this.store,
    acquireNode: (plan) => this.acquireNode(plan),
    releaseNode: (node) => this.releaseNode(node),
  };

  private readonly versionOf = (id: RecordId): number => this.store.get(id)?.[VERSION] ?? 0;

  private readonly parser: SurrealQLParser;

  constructor(options: CircuitOptions = {}) {
    this.parser = options.parser ?? sharedParser;
  }

  // ---------- ingest ----------

  /**
   * Applies changes atomically, in order. `replay` is for mutations acknowledged
   * before: a journal written before body ids were checked may hold a body whose
   * `id` names another record, which was then ignored, and must replay as it was.
   */
  ingest(changes: readonly RecordChange[], options: { readonly replay?: boolean } = {}): IngestResult {
    if (!Array.isArray(changes)) throw new CircuitError("INVALID_ARGUMENT", "changes must be an array");
    const checkBodyIds = options.replay !== true;
    const valid = changes.map((c, i) => validateChange(c, i, this.links, checkBodyIds));
    let applied = 0;
    let stale = 0;
    for (const c of valid) {
      if (this.apply(c)) applied++;
      else stale++;
    }
    this.staleIngests += stale;
    return { views: this.collectDeltas(), applied, stale };
  }

  /** Applies one validated change; false when it is stale. */
  private apply(c: ValidChange): boolean {
    const old = this.store.get(c.id);
    const held = old?.[VERSION] ?? this.store.tombstone(c.id);
    if (c.version !== undefined && held !== undefined && c.version <= held) return false;
    if (c.op === "DELETE") {
      // The tombstone keeps the DELETE's own explicit version (it is above the held one,
      // or the change would be stale), so a late write at or below it stays stale; a
      // versioned DELETE of an unknown id leaves one too. Unversioned deletes of unknown
      // ids keep nothing, so tombstones stay bounded by what was really deleted.
      if (!old) {
        if (c.version !== undefined) this.store.setTombstone(c.id, c.version);
        return true;
      }
      this.store.delete(old, c.version ?? old[VERSION]);
      this.changed(old.id, old, undefined);
      return true;
    }
    const body = c.body!;
    if (old && sameContent(old, body)) return true;
    // A living record keeps one RecordId object across updates: memberships key on it.
    if (old) body.id = old.id;
    const row = toRow(body, c.version ?? (held ?? 0) + 1);
    this.store.put(row);
    this.changed(row.id, old, row);
    return true;
  }

  /**
   * Pushes a change the store already holds (`before` → `after`), then the rows
   * that read record `id` through a link: each as it read with `id` still
   * `before` → as it reads now. Then re-indexes what those rows dereference.
   */
  private changed(id: RecordId, before: Row | undefined, after: Row | undefined): void {
    // Views whose params read this record are torn down before the change is pushed
    // (their instances evaluated with the record as it was) and built again after it.
    const rebuilt = this.viewsByParamLink.size > 0 ? this.viewsByParamLink.get(id.text) : undefined;
    const stale = rebuilt ? [...rebuilt] : NO_VIEWS;
    for (const view of stale) view.root.destroy();
    const readers = this.linkIndex.readersOf(id);
    if (readers.length === 0) {
      this.dispatchOne(before, after);
    } else {
      const text = id.text;
      const resolveBefore: Resolve = (link) => (link.text === text ? before : this.store.get(link));
      // The record may read itself (a link to itself, or a cycle back to it).
      const changes: [Row | undefined, Row | undefined][] = [[before && asBefore(before, resolveBefore), after]];
      for (const readerId of readers) {
        if (readerId.text === text) continue;
        const row = this.store.get(readerId);
        if (row) changes.push([asBefore(row, resolveBefore), row]);
      }
      this.dispatch(changes);
      for (const readerId of readers) {
        const row = this.store.get(readerId);
        if (row) this.linkIndex.index(row, this.resolve);
      }
    }
    if (this.linkIndex.hasPaths(id.table)) {
      if (after) this.linkIndex.index(after, this.resolve);
      else this.linkIndex.unindex(id);
    }
    for (const view of stale) {
      view.root = this.startRoot(view.plan, view.params, view.membership);
      this.indexParamLinks(view);
    }
  }

  /**
   * A view's root instance. A view whose params reach records through links
   * tracks its output rows even without subqueries, so tearing it down removes
   * them one by one and the batch's delta sees it.
   */
  private startRoot(plan: QueryPlan, params: { readonly [name: string]: Value }, membership: Membership): QueryInstance {
    const env = { params, parent: undefined, resolve: this.resolve };
    return new QueryInstance(plan, env, membership, this.instanceHost, plan.paramReads.length === 0);
  }

  /** (Re)files `view` under the records its params now reach. */
  private indexParamLinks(view: View): void {
    this.unindexParamLinks(view);
    view.paramLinks = paramLinks(view.plan, view.params, this.resolve);
    for (const text of view.paramLinks) {
      let set = this.viewsByParamLink.get(text);
      if (!set) this.viewsByParamLink.set(text, (set = new Set()));
      set.add(view);
    }
  }

  private unindexParamLinks(view: View): void {
    for (const text of view.paramLinks) {
      const set = this.viewsByParamLink.get(text);
      set?.delete(view);
      if (set && set.size === 0) this.viewsByParamLink.delete(text);
    }
    view.paramLinks = [];
  }

  /** `dispatch` for a single row change, without its bookkeeping: the hot path. */
  private dispatchOne(before: Row | undefined, after: Row | undefined): void {
    const nodes = this.nodesByTable.get((before ?? after)!.id.table);
    if (!nodes) return;
    const targets: QueryInstance[] = [];
    for (const node of nodes) node.collect(before, after, targets);
    for (const inst of targets) if (!inst.destroyed) inst.push(before, after);
  }

  /**
   * Pushes row changes (all due to one record change) to the instances they may
   * affect. Every target is collected before anything is pushed: pushing may
   * create instances, which read the store as it is now and must not then be
   * pushed a change they already reflect; or destroy some, which are skipped.
   */
  private dispatch(changes: readonly (readonly [Row | undefined, Row | undefined])[]): void {
    const targets: QueryInstance[] = [];
    const changeOf: number[] = [];
    for (let c = 0; c < changes.length; c++) {
      const [before, after] = changes[c]!;
      const nodes = this.nodesByTable.get((before ?? after)!.id.table);
      if (!nodes) continue;
      for (const node of nodes) node.collect(before, after, targets);
      while (changeOf.length < targets.length) changeOf.push(c);
    }
    for (let i = 0; i < targets.length; i++) {
      const inst = targets[i]!;
      if (inst.destroyed) continue;
      const [before, after] = changes[changeOf[i]!]!;
      inst.push(before, after);
    }
  }

  private collectDeltas(): ViewDelta[] {
    const dirty = this.dirty;
    this.dirty = [];
    const out: ViewDelta[] = [];
    for (const view of dirty) {
      const deltas = view.membership.takeDeltas();
      if (deltas.length === 0 || !view.membership.logging) continue;
      this.advance(view);
      out.push({ viewId: view.spec.id, clientId: view.spec.clientId, sequence: view.sequence, deltas });
    }
    return sortFew(out, byViewId);
  }

  // ---------- views ----------

  /**
   * Registers (or replaces) a view. `limits` bound the query for a new
   * registration; replaying what was accepted before (snapshot, journal) passes
   * none, so lowering a limit never drops a view that is already registered.
   */
  registerView(spec: ViewSpec, limits?: QueryLimits): RegisterResult {
    if (!spec || typeof spec.id !== "string" || spec.id.length === 0) {
      throw new CircuitError("INVALID_ARGUMENT", "a view needs a non-empty id");
    }
    if (typeof spec.surql !== "string") throw new CircuitError("INVALID_ARGUMENT", "a view needs SurrealQL text");
    const plan = compileQuery(spec.surql, { parser: this.parser, limits });
    const params = bindParams(plan, spec.params ?? {});
    const frozen: ViewSpec = { ...spec, params: { ...(spec.params ?? {}) } };

    const previous = this.views.get(spec.id);
    // Logging starts once the view is registered, so `view` exists by the first markDirty.
    const host: MembershipHost = { versionOf: this.versionOf, markDirty: () => void this.dirty.push(view) };
    const membership = new Membership(host);
    const root = this.startRoot(plan, params, membership);
    // A live view continues its own sequence; a new one starts past every number ever issued.
    const sequence = previous ? previous.sequence : this.nextSequence;
    const view: View = { spec: frozen, plan, params, membership, root, paramLinks: [], sequence };
    this.nextSequence = Math.max(this.nextSequence, sequence + 1);

    let replaced: ViewDelta | undefined;
    if (previous) {
      const deltas = membershipDiff(previous.membership, membership, (id) => this.store.get(id)?.[VERSION] ?? 0);
      this.dropView(previous);
      if (deltas.length > 0) {
        this.advance(view);
        replaced = { viewId: spec.id, clientId: spec.clientId, sequence: view.sequence, deltas };
      }
    }
    this.discardTouches();
    membership.logging = true;
    if (previous) this.countView(previous.spec.clientId, -1);
    this.views.set(spec.id, view);
    this.countView(frozen.clientId, 1);
    this.indexParamLinks(view);
    return { view: this.stateOf(view), replaced };
  }

  unregisterView(id: string): UnregisterResult {
    const view = this.views.get(id);
    if (!view) throw new CircuitError("NOT_FOUND", `no view ${JSON.stringify(id)}`);
    const state = this.stateOf(view);
    this.dropView(view);
    this.views.delete(id);
    this.countView(view.spec.clientId, -1);
    this.discardTouches();
    return { view: state };
  }

  private dropView(view: View): void {
    view.membership.logging = false;
    view.root.destroy();
    this.unindexParamLinks(view);
  }

  /** Registration and removal report their own deltas, not through touch logs. */
  private discardTouches(): void {
    for (const view of this.dirty) view.membership.takeDeltas();
    this.dirty = [];
  }

  reset(): void {
    for (const view of this.views.values()) view.root.destroy();
    this.views.clear();
    this.viewCounts.clear();
    this.viewsByParamLink.clear();
    this.nodes.clear();
    this.nodesByTable.clear();
    this.store.clear();
    this.linkIndex.clear();
    this.links.clear();
    this.dirty = [];
    this.staleIngests = 0;
    // nextSequence survives: views registered after a reset must not reuse old cursors.
  }

  /**
   * The tables a view's query reads: its FROM and its subqueries' (records it
   * reaches through links are not known before they are ingested). Empty for an
   * unknown id.
   */
  tablesOf(id: string): string[] {
    const view = this.views.get(id);
    if (!view) return [];
    const tables = new Set<string>();
    const visit = (plan: QueryPlan): void => {
      tables.add(plan.table);
      for (const sub of plan.subqueries) visit(sub);
    };
    visit(view.plan);
    return [...tables];
  }

  getView(id: string): ViewState | undefined {
    const view = this.views.get(id);
    return view ? this.stateOf(view) : undefined;
  }

  /** The client id a view is registered under, undefined when no such view. */
  clientOfView(id: string): string | undefined {
    return this.views.get(id)?.spec.clientId;
  }

  /** How many views are registered under `clientId`, in constant time. */
  viewCountOfClient(clientId: string): number {
    return this.viewCounts.get(clientId) ?? 0;
  }

  private countView(clientId: string, by: 1 | -1): void {
    const count = (this.viewCounts.get(clientId) ?? 0) + by;
    if (count === 0) this.viewCounts.delete(clientId);
    else this.viewCounts.set(clientId, count);
  }

  listViews(clientId?: string): ViewSummary[] {
    const out: ViewSummary[] = [];
    for (const v of this.views.values()) {
      if (clientId !== undefined && v.spec.clientId !== clientId) continue;
      out.push({ spec: v.spec, sequence: v.sequence, memberCount: v.membership.size });
    }
    return out.sort((a, b) => (a.spec.id < b.spec.id ? -1 : a.spec.id > b.spec.id ? 1 : 0));
  }

  getRecord(id: RecordId | string): StoredRecord | undefined {
    let rid: RecordId;
    try {
      rid = typeof id === "string" ? parseRecordId(id) : id;
    } catch {
      return undefined;
    }
    const row = this.store.get(rid);
    return row ? storedRecord(row) : undefined;
  }

  stats(): { views: number; records: number; staleIngests: number } {
    return { views: this.views.size, records: this.store.size, staleIngests: this.staleIngests };
  }

  /** A view's membership recomputed from scratch (the naive baseline; also a self-check). */
  recomputeView(id: string): RecordId[] {
    const view = this.views.get(id);
    if (!view) throw new CircuitError("NOT_FOUND", `no view ${JSON.stringify(id)}`);
    return evaluatePlan(view.plan, { params: view.params, parent: undefined, resolve: this.resolve }, (t) => this.store.table(t).values() as Iterable<EvalRow>);
  }

  // ---------- snapshots ----------

  exportState(): CircuitSnapshot {
    return {
      formatVersion: SNAPSHOT_FORMAT_VERSION,
      records: [...this.store.all()].map((r) => ({ id: r.id.text, body: storedRecord(r).body, version: r[VERSION] })),
      tombstones: [...this.store.allTombstones()].map(([id, v]) => [id.text, v] as const),
      views: [...this.views.values()].map((v) => ({ spec: v.spec, sequence: v.sequence })),
      staleIngests: this.staleIngests,
      nextSequence: this.nextSequence,
    };
  }

  static fromSnapshot(snapshot: CircuitSnapshot, options: CircuitOptions = {}): Circuit {
    if (!snapshot || snapshot.formatVersion !== SNAPSHOT_FORMAT_VERSION) {
      throw new CircuitError(
        "INVALID_ARGUMENT",
        `unknown circuit snapshot format version ${JSON.stringify(snapshot?.formatVersion)} (expected ${SNAPSHOT_FORMAT_VERSION})`,
      );
    }
    const next = snapshot.nextSequence;
    if (next !== undefined && next !== null && !(Number.isSafeInteger(next) && next >= 0)) {
      throw new CircuitError("INVALID_ARGUMENT", `snapshot nextSequence must be a non-negative integer, got ${JSON.stringify(next)}`);
    }
    const c = new Circuit(options);
    for (const r of snapshot.records) {
      const id = parseRecordId(r.id);
      const body = fromWire(r.body, c.links);
      c.store.put(toRow({ ...(isObject(body) ? body : {}), id }, r.version));
    }
    for (const [id, v] of snapshot.tombstones) c.store.setTombstone(parseRecordId(id), v);
    for (const { spec, sequence } of snapshot.views) {
      c.registerView(spec);
      c.views.get(spec.id)!.sequence = sequence;
    }
    c.staleIngests = snapshot.staleIngests;
    // Snapshots written before nextSequence existed: the best bound left is past every live view.
    let start = next ?? 0;
    for (const { sequence } of snapshot.views) start = Math.max(start, sequence + 1);
    c.nextSequence = start;
    return c;
  }

  // ---------- internals ----------

  private advance(view: View): void {
    view.sequence++;
    if (view.sequence >= this.nextSequence) this.nextSequence = view.sequence + 1;
  }

  private stateOf(view: View): ViewState {
    return {
      spec: view.spec,
      sequence: view.sequence,
      members: view.membership.sortedIds().map((id) => ({ id, version: this.store.get(id)?.[VERSION] ?? 0 })),
    };
  }

  private acquireNode(plan: QueryPlan): PlanNode<QueryInstance> {
    let node = this.nodes.get(plan.key);
    if (!node) {
      node = new PlanNode<QueryInstance>(plan, { rows: () => this.store.table(plan.table).values(), get: (id) => this.store.get(id) });
      this.nodes.set(plan.key, node);
      let set = this.nodesByTable.get(plan.table);
      if (!set) this.nodesByTable.set(plan.table, (set = new Set()));
      set.add(node);
      if (this.linkIndex.addPaths(plan.table, plan.derefPaths)) {
        for (const row of this.store.table(plan.table).values()) this.linkIndex.index(row, this.resolve);
      }
    }
    return node;
  }

  private releaseNode(node: PlanNode<QueryInstance>): void {
    if (node.size > 0) return;
    this.nodes.delete(node.plan.key);
    const set = this.nodesByTable.get(node.plan.table);
    set?.delete(node);
    if (set && set.size === 0) this.nodesByTable.delete(node.plan.table);
  }
}

function membershipDiff(before: Membership, after: Membership, versionOf: (id: RecordId) => number): Delta[] {
  const out: Delta[] = [];
  for (const id of after.sortedIds()) if (!before.has(id)) out.push({ id, event: "CREATED", version: versionOf(id) });
  for (const id of before.sortedIds()) if (!after.has(id)) out.push({ id, event: "DELETED", version: versionOf(id) });
  return out.sort((a, b) => compareRecordIds(a.id, b.id));
}

/** `row` as evaluated in the state before a change: paths crossing links read through `resolve`. Never stored. */
function asBefore(row: Row, resolve: Resolve): Row {
  const copy = { ...row } as Row & { [RESOLVE_BEFORE]?: Resolve };
  copy[RESOLVE_BEFORE] = resolve;
  return copy;
}

function storedRecord(row: Row): StoredRecord {
  return { id: row.id, body: toWire(row) as { [k: string]: WireValue }, version: row[VERSION] };
}

const NO_VIEWS: readonly View[] = [];

const byViewId = (a: ViewDelta, b: ViewDelta): number => (a.viewId < b.viewId ? -1 : a.viewId > b.viewId ? 1 : 0);

const OPS = new Set(["CREATE", "UPDATE", "DELETE"]);

function invalid(index: number, why: string): CircuitError {
  return new CircuitError("INVALID_ARGUMENT", `change ${index}: ${why}`, index);
}

/** The op in upper case, or undefined when it is not one; no allocation for the usual spelling. */
function operation(op: unknown): Operation | undefined {
  if (op === "UPDATE" || op === "CREATE" || op === "DELETE") return op;
  const upper = typeof op === "string" ? op.toUpperCase() : "";
  return OPS.has(upper) ? (upper as Operation) : undefined;
}

/**
 * A body's `id` field, when present, must name the record itself, as SurrealDB
 * requires of a write to a specific record: the record id (`{"$rid":"user:1"}`)
 * or its bare key of the same type (`1` for `user:1`, `"abc"` for `user:abc`).
 * Anything else (another record, the id as a plain string, null) SurrealDB
 * refuses ("Found user:2 for the `id` field, but a specific record has been
 * specified"), so such a record cannot exist there.
 */
function checkBodyId(bodyId: WireValue, id: RecordId, index: number): void {
  if (bodyId === id.key) return;
  let shown: string;
  if (bodyId !== null && typeof bodyId === "object" && !Array.isArray(bodyId) && isLink(bodyId)) {
    const text = bodyId.$rid as string;
    let named: RecordId | undefined;
    try {
      named = parseRecordId(text);
    } catch {
      named = undefined;
    }
    if (named?.equals(id)) return;
    shown = named?.text ?? JSON.stringify(text);
  } else {
    shown = JSON.stringify(bodyId);
  }
  throw invalid(
    index,
    `the body's id ${shown} is not the record's id ${id.text}: it must be the record id (${JSON.stringify({ $rid: id.text })}), its key (${JSON.stringify(id.key)}) or absent, as SurrealDB requires`,
  );
}

function validateChange(c: RecordChange, index: number, links: RecordIdInterner, checkBodyIds: boolean): ValidChange {
  if (!c || typeof c !== "object") throw invalid(index, "not an object");
  const op = operation(c.op);
  if (op === undefined) throw invalid(index, `unknown op ${JSON.stringify(c.op)} (expected CREATE, UPDATE or DELETE)`);
  if (typeof c.id !== "string") throw invalid(index, "id must be a string");
  let id: RecordId;
  try {
    id = parseRecordId(c.id);
  } catch (e) {
    throw invalid(index, e instanceof Error ? e.message : String(e));
  }
  const table = c.table;
  if (table !== undefined && table !== null && table !== "" && table !== id.table) {
    throw invalid(index, `table ${JSON.stringify(table)} does not match the id's table ${JSON.stringify(id.table)}`);
  }
  const version = c.version ?? undefined;
  if (version !== undefined && !(Number.isSafeInteger(version) && version >= 0)) {
    throw invalid(index, `version must be a non-negative integer, got ${JSON.stringify(version)}`);
  }
  let body: (ValueObject & { id: RecordId }) | undefined;
  if (op !== "DELETE") {
    const w = c.body;
    if (w === null || typeof w !== "object" || Array.isArray(w) || isLink(w)) throw invalid(index, `${op} needs an object body`);
    if (checkBodyIds && Object.hasOwn(w, "id")) checkBodyId(w.id!, id, index);
    try {
      body = bodyFromWire(w, id, links);
    } catch (e) {
      throw invalid(index, `body: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { op, id, body, version };
}
