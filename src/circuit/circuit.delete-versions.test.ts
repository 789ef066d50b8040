import { describe, expect, it } from "vitest";
import { Circuit } from "./circuit.js";
import { create, eventsFor, remove, update, view } from "./testing.js";

function withView(): Circuit {
  const c = new Circuit();
  c.registerView(view("v", "SELECT * FROM t"));
  return c;
}

describe("explicit versions on DELETE", () => {
  it("keeps a late write at or below a versioned DELETE's version stale", () => {
    const c = withView();
    c.ingest([create("t:1", { n: 1 }, 3)]);
    expect(eventsFor(c.ingest([remove("t:1", 10)]), "v")).toEqual(["DELETED t:1 v3"]);

    const late = c.ingest([update("t:1", { n: 2 }, 7), create("t:1", { n: 3 }, 10)]);
    expect(late).toMatchObject({ applied: 0, stale: 2, views: [] });
    expect(c.getRecord("t:1")).toBeUndefined();

    expect(eventsFor(c.ingest([create("t:1", { n: 4 }, 11)]), "v")).toEqual(["CREATED t:1 v11"]);
  });

  it("remembers a versioned DELETE of an id it never held", () => {
    const c = withView();
    expect(c.ingest([remove("t:9", 5)])).toMatchObject({ applied: 1, stale: 0, views: [] });
    expect(c.ingest([create("t:9", {}, 4)])).toMatchObject({ applied: 0, stale: 1 });
    expect(c.ingest([remove("t:9", 5)])).toMatchObject({ applied: 0, stale: 1 });
    expect(eventsFor(c.ingest([create("t:9", {}, 6)]), "v")).toEqual(["CREATED t:9 v6"]);
  });

  it("continues from the deleted record's own version after an unversioned DELETE", () => {
    const c = withView();
    c.ingest([create("t:1", {}, 4), remove("t:1")]);
    expect(c.ingest([create("t:1", {}, 4)])).toMatchObject({ stale: 1 });
    expect(eventsFor(c.ingest([create("t:1", { n: 1 })]), "v")).toEqual(["CREATED t:1 v5"]);
  });

  it("keeps no tombstone for an unversioned DELETE of an unknown id", () => {
    const c = new Circuit();
    c.ingest([remove("t:1")]);
    expect(c.exportState().tombstones).toEqual([]);
  });

  it("carries DELETE versions through a snapshot", () => {
    const c = withView();
    c.ingest([create("t:1", {}, 2), remove("t:1", 8), remove("t:2", 3)]);
    const restored = Circuit.fromSnapshot(JSON.parse(JSON.stringify(c.exportState())));
    expect(restored.ingest([create("t:1", {}, 8), create("t:2", {}, 3)])).toMatchObject({ applied: 0, stale: 2 });
    expect(eventsFor(restored.ingest([create("t:1", {}, 9)]), "v")).toEqual(["CREATED t:1 v9"]);
  });
});
