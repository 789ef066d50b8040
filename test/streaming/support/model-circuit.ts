/**
 * A tiny stand-in for the circuit, for the hub's tests: views are explicit sets
 * of record ids, and every mutation returns the ViewDeltas the real circuit would
 * (gap-free sequences, CREATED/UPDATED/DELETED with versions). Bodies are
 * replaced on update, never mutated, as the hub requires.
 */
import { type RecordId, parseRecordId } from "../../../src/circuit/record-id.js";
import type { Delta, Member, StoredRecord, ViewDelta, ViewState } from "../../../src/circuit/types.js";
import type { ViewSource } from "../../../src/streaming/index.js";

interface ModelView {
  clientId: string;
  sequence: number;
  members: Set<string>;
}

export class ModelCircuit implements ViewSource {
  private readonly records = new Map<string, StoredRecord>();
  private readonly views = new Map<string, ModelView>();

  getView(id: string): ViewState | undefined {
    const view = this.views.get(id);
    if (view === undefined) return undefined;
    const members: Member[] = [...view.members].sort().map((text) => {
      const record = this.records.get(text)!;
      return { id: record.id, version: record.version };
    });
    return {
      spec: { id, surql: `SELECT * FROM ${id}`, params: {}, clientId: view.clientId, ttlMs: 0, lastActiveAt: 0 },
      sequence: view.sequence,
      members,
    };
  }

  viewIdsOfClient(clientId: string): string[] {
    return [...this.views].filter(([, view]) => view.clientId === clientId).map(([id]) => id);
  }

  getRecord(id: RecordId): StoredRecord | undefined {
    return this.records.get(id.text);
  }

  /** Registers (or replaces) a view; returns the replacement's delta, if any. */
  register(viewId: string, clientId: string, memberIds: readonly string[] = []): ViewDelta | undefined {
    for (const id of memberIds) this.ensure(id);
    const wanted = new Set(memberIds.map((id) => parseRecordId(id).text));
    const existing = this.views.get(viewId);
    if (existing === undefined) {
      this.views.set(viewId, { clientId, sequence: 0, members: wanted });
      return undefined;
    }
    existing.clientId = clientId;
    const deltas: Delta[] = [];
    for (const text of existing.members) if (!wanted.has(text)) deltas.push(this.delta(text, "DELETED"));
    for (const text of wanted) if (!existing.members.has(text)) deltas.push(this.delta(text, "CREATED"));
    existing.members = wanted;
    return this.advance(viewId, existing, deltas);
  }

  /** Removes a view; returns its last sequence. */
  unregister(viewId: string): number {
    const view = this.views.get(viewId);
    if (view === undefined) throw new Error(`no view ${viewId}`);
    this.views.delete(viewId);
    return view.sequence;
  }

  /** Creates or updates a record; every view holding it gets UPDATED. */
  put(id: string, body: StoredRecord["body"]): ViewDelta[] {
    const text = parseRecordId(id).text;
    const old = this.records.get(text);
    this.records.set(text, { id: parseRecordId(id), body, version: (old?.version ?? 0) + 1 });
    if (old === undefined) return [];
    return this.touching(text, "UPDATED");
  }

  /** Adds a record (created if unknown) to a view's membership. */
  add(viewId: string, id: string): ViewDelta[] {
    const text = this.ensure(id);
    const view = this.views.get(viewId)!;
    if (view.members.has(text)) return [];
    view.members.add(text);
    return [this.advance(viewId, view, [this.delta(text, "CREATED")])!];
  }

  /** Removes a record from a view's membership. */
  remove(viewId: string, id: string): ViewDelta[] {
    const text = parseRecordId(id).text;
    const view = this.views.get(viewId)!;
    if (!view.members.delete(text)) return [];
    return [this.advance(viewId, view, [this.delta(text, "DELETED")])!];
  }

  private touching(text: string, event: "UPDATED"): ViewDelta[] {
    const out: ViewDelta[] = [];
    for (const [viewId, view] of this.views) {
      if (view.members.has(text)) out.push(this.advance(viewId, view, [this.delta(text, event)])!);
    }
    return out;
  }

  private ensure(id: string): string {
    const text = parseRecordId(id).text;
    if (!this.records.has(text)) this.records.set(text, { id: parseRecordId(id), body: { name: id }, version: 1 });
    return text;
  }

  private delta(text: string, event: Delta["event"]): Delta {
    const record = this.records.get(text)!;
    return { id: record.id, event, version: record.version };
  }

  private advance(viewId: string, view: ModelView, deltas: Delta[]): ViewDelta | undefined {
    if (deltas.length === 0) return undefined;
    view.sequence++;
    return { viewId, clientId: view.clientId, sequence: view.sequence, deltas };
  }
}
