import { describe, expect, it } from "vitest";
import { Circuit } from "./circuit.js";
import { CircuitError } from "./errors.js";
import { create, link, remove, update, view } from "./testing.js";
import type { RecordChange } from "./types.js";

const FORUM = "SELECT *, (SELECT * FROM comment WHERE thread = $parent.id ORDER BY at DESC LIMIT 2) AS comments FROM thread WHERE room = $room";

function firstHalf(): RecordChange[] {
  return [
    create("thread:1", { room: "r" }),
    create("thread:2", { room: "s" }),
    create("comment:1", { thread: link("thread:1"), at: 1 }),
    create("comment:2", { thread: link("thread:1"), at: 2 }, 7),
    create("comment:3", { thread: link("thread:1"), at: 3 }),
    create("gone:1"),
    remove("gone:1"),
  ];
}

function secondHalf(): RecordChange[][] {
  return [
    [remove("comment:3")],
    [update("comment:2", { thread: link("thread:1"), at: 2 }, 7)],
    [create("comment:4", { thread: link("thread:1"), at: 9 })],
    [update("thread:2", { room: "r" }), create("comment:5", { thread: link("thread:2"), at: 1 })],
    [create("gone:1")],
  ];
}

describe("snapshots", () => {
  it("restores mid-stream so later ingests produce the same deltas", () => {
    const live = new Circuit();
    live.registerView(view("v", FORUM, { room: "r" }));
    live.registerView(view("w", "SELECT * FROM gone"));
    live.ingest(firstHalf());
    live.ingest([update("comment:1", { thread: link("thread:1"), at: 1 }, 3)]);

    const snapshot = JSON.parse(JSON.stringify(live.exportState()));
    expect(snapshot.formatVersion).toBe(1);
    const restored = Circuit.fromSnapshot(snapshot);
    expect(restored.getView("v")).toEqual(live.getView("v"));
    expect(restored.stats()).toEqual(live.stats());

    for (const batch of secondHalf()) {
      expect(restored.ingest(batch)).toEqual(live.ingest(batch));
    }
    expect(restored.getView("v")).toEqual(live.getView("v"));
    expect(restored.getView("w")!.members.map((m) => `${m.id.text} v${m.version}`)).toEqual(["gone:1 v2"]);
  });

  it("refuses a snapshot of an unknown format version", () => {
    const snapshot = { ...new Circuit().exportState(), formatVersion: 99 };
    expect(() => Circuit.fromSnapshot(snapshot)).toThrow(CircuitError);
    expect(() => Circuit.fromSnapshot(snapshot)).toThrow(/format version 99/);
  });
});
