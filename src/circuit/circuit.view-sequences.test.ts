import { describe, expect, it } from "vitest";
import { Circuit } from "./circuit.js";
import { create, update, view } from "./testing.js";
import type { IngestResult } from "./types.js";

/** The sequence an ingest result carries for one view (undefined when the view is not in it). */
function sequenceOf(r: IngestResult, id: string): number | undefined {
  return r.views.find((d) => d.viewId === id)?.sequence;
}

describe("view sequence numbers across incarnations", () => {
  it("starts a view registered again after unregister past every sequence its old incarnation issued", () => {
    const c = new Circuit();
    expect(c.registerView(view("v", "SELECT * FROM t")).view.sequence).toBe(0);
    expect(sequenceOf(c.ingest([create("t:1", { n: 1 })]), "v")).toBe(1);
    expect(sequenceOf(c.ingest([update("t:1", { n: 2 })]), "v")).toBe(2);
    c.unregisterView("v");

    const again = c.registerView(view("v", "SELECT * FROM t")).view.sequence;
    expect(again).toBe(3);
    expect(sequenceOf(c.ingest([create("t:2")]), "v")).toBe(4);
  });

  it("keeps the sequences of other views out of a new view's range too", () => {
    const c = new Circuit();
    c.registerView(view("busy", "SELECT * FROM t"));
    for (let i = 1; i <= 5; i++) c.ingest([create(`t:${i}`)]);
    expect(c.registerView(view("fresh", "SELECT * FROM t")).view.sequence).toBe(6);
  });

  it("continues a live view's own sequence on re-registration", () => {
    const c = new Circuit();
    c.registerView(view("a", "SELECT * FROM t"));
    c.registerView(view("v", "SELECT * FROM t WHERE n = 1"));
    c.ingest([create("t:1", { n: 1 })]);
    const before = c.getView("v")!.sequence;
    const r = c.registerView(view("v", "SELECT * FROM t"));
    expect(r.view.sequence).toBe(before);
    c.ingest([create("t:2", { n: 2 })]);
    const replaced = c.registerView(view("v", "SELECT * FROM t WHERE n = 2"));
    expect(replaced.replaced?.sequence).toBe(before + 2);
    expect(replaced.view.sequence).toBe(before + 2);
  });

  it("does not reuse sequences after reset", () => {
    const c = new Circuit();
    c.registerView(view("v", "SELECT * FROM t"));
    c.ingest([create("t:1")]);
    c.ingest([create("t:2")]);
    c.reset();
    expect(c.registerView(view("v", "SELECT * FROM t")).view.sequence).toBe(3);
  });

  it("remembers the next sequence in snapshots, including numbers of views no longer registered", () => {
    const c = new Circuit();
    c.registerView(view("gone", "SELECT * FROM t"));
    c.registerView(view("kept", "SELECT * FROM u"));
    for (let i = 1; i <= 4; i++) c.ingest([create(`t:${i}`)]);
    c.unregisterView("gone");

    const restored = Circuit.fromSnapshot(JSON.parse(JSON.stringify(c.exportState())));
    expect(restored.getView("kept")!.sequence).toBe(1);
    expect(restored.registerView(view("gone", "SELECT * FROM t")).view.sequence).toBe(5);
  });

  it("loads a snapshot written without nextSequence, starting new views past every live view", () => {
    const c = new Circuit();
    c.registerView(view("v", "SELECT * FROM t"));
    c.ingest([create("t:1")]);
    c.ingest([create("t:2")]);
    const { nextSequence: _dropped, ...older } = c.exportState();
    const restored = Circuit.fromSnapshot(older);
    expect(restored.getView("v")!.sequence).toBe(2);
    expect(restored.registerView(view("w", "SELECT * FROM t")).view.sequence).toBe(3);
  });
});
