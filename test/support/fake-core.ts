/**
 * A Core for seam tests: every capability answers a small fixed result and
 * records how it was called, so tests can check both directions of conversion.
 */
import { parseRecordId, type RecordChange, type ViewSpec, type ViewState } from "../../src/circuit/index.js";
import type { Core, Readiness, WatchMessage, WatchRequest } from "../../src/core/index.js";

export interface Call {
  readonly method: string;
  readonly args: readonly unknown[];
}

export interface FakeCore extends Core {
  readonly calls: Call[];
  /** Flip to make readiness fail. */
  ready: Readiness;
}

export const fakeSpec = (id: string, clientId = "client-1"): ViewSpec => ({
  id,
  surql: "SELECT * FROM user",
  params: { room: { $rid: "room:1" }, name: "user:1" },
  clientId,
  ttlMs: 60_000,
  lastActiveAt: Date.UTC(2026, 0, 1),
});

export const fakeViewState = (id: string): ViewState => ({
  spec: fakeSpec(id),
  sequence: 3,
  members: [
    { id: parseRecordId("user:1"), version: 2 },
    { id: parseRecordId("user:⟨a b⟩"), version: 1 },
  ],
});

const fakeDelta = (viewId: string) => ({
  viewId,
  clientId: "client-1",
  sequence: 4,
  deltas: [
    { id: parseRecordId("user:1"), event: "UPDATED" as const, version: 3 },
    { id: parseRecordId("user:2"), event: "DELETED" as const, version: 5 },
  ],
});

/** `watch` yields a snapshot, a delta and a close; with `holdOpen` it then waits for the signal. */
export function createFakeCore(options: { holdOpen?: boolean } = {}): FakeCore {
  const calls: Call[] = [];
  const record = (method: string, ...args: unknown[]) => void calls.push({ method, args });
  const core: FakeCore = {
    calls,
    ready: { ready: true, checks: { fake: { ok: true } } },
    async ingest(changes: readonly RecordChange[]) {
      record("ingest", changes);
      return { views: [fakeDelta("v1")], applied: changes.length, stale: 0, edges: "committed" };
    },
    async registerView(spec: ViewSpec) {
      record("registerView", spec);
      return { view: { ...fakeViewState(spec.id), spec }, replaced: fakeDelta(spec.id), edges: "pending" };
    },
    async unregisterView(id: string) {
      record("unregisterView", id);
      return { edges: "committed" };
    },
    async reset() {
      record("reset");
      return { edges: "none" };
    },
    getView(id: string) {
      record("getView", id);
      return id === "missing" ? undefined : fakeViewState(id);
    },
    listViews(clientId?: string) {
      record("listViews", clientId);
      return [{ spec: fakeSpec("v1"), sequence: 3, memberCount: 2 }];
    },
    async *watch(request: WatchRequest, signal: AbortSignal): AsyncIterable<WatchMessage> {
      record("watch", request);
      const viewId = request.viewIds[0] ?? "v1";
      const body = new Map([["user:1", { name: "Ada", room: { $rid: "room:1" } }]]);
      yield { kind: "snapshot", viewId, sequence: 3, members: fakeViewState(viewId).members, records: body, reset: false, incarnation: "fake-incarnation" };
      const delta = fakeDelta(viewId);
      yield { kind: "delta", ...delta, deltas: delta.deltas.map((d) => (d.event === "DELETED" ? d : { ...d, record: body.get(d.id.text) })) };
      yield { kind: "heartbeat", at: Date.UTC(2026, 0, 1) };
      if (options.holdOpen === true) {
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        return;
      }
      yield { kind: "closed", viewId, sequence: 4 };
    },
    async save() {
      record("save");
      return { bytes: 1234, durationMs: 1500 };
    },
    async resyncEdges(viewId?: string) {
      record("resyncEdges", viewId);
      return { added: 1, removed: 2, updated: 3 };
    },
    info() {
      record("info");
      return { views: 2, records: 10, streams: 1, outboxPending: 0 };
    },
    async readiness() {
      return core.ready;
    },
  };
  return core;
}
