import { describe, expect, it } from "vitest";
import { Circuit } from "./circuit.js";
import { create, view } from "./testing.js";

/** A circuit holding three rows whose `v` and `tags` order them differently. */
function rows(): Circuit {
  const c = new Circuit();
  c.ingest([
    create("t:1", { v: 1, tags: [9], x: { y: 2 } }),
    create("t:2", { v: 2, tags: [1], x: { y: 1 } }),
    create("t:3", { v: 0, tags: [5], x: { y: 3 } }),
  ]);
  return c;
}

function top(c: Circuit, surql: string): string[] {
  return c.registerView(view("v", surql)).view.members.map((m) => m.id.text);
}

// Expected answers are SurrealDB 3.0.2's own for the same records and queries.
describe("ORDER BY resolves output names before stored fields", () => {
  it("orders by the field an alias names, even when a stored field has that name", () => {
    expect(top(rows(), "SELECT id, v AS o, tags AS v FROM t ORDER BY v LIMIT 1")).toEqual(["t:2"]);
    expect(top(rows(), "SELECT id, v AS o, tags AS v FROM t ORDER BY o LIMIT 1")).toEqual(["t:3"]);
  });

  it("lets an alias shadow a field of * too", () => {
    expect(top(rows(), "SELECT *, tags AS v FROM t ORDER BY v LIMIT 1")).toEqual(["t:2"]);
  });

  it("still orders by an aliased field's source path", () => {
    expect(top(rows(), "SELECT id, v AS o FROM t ORDER BY v LIMIT 1")).toEqual(["t:3"]);
  });

  it("reads a path below an output name from the stored row under *", () => {
    expect(top(rows(), "SELECT *, x AS o FROM t ORDER BY o.y LIMIT 1")).toEqual(["t:1"]);
  });

  it("keeps a new record that sorts first by the alias entering the window", () => {
    const c = rows();
    c.registerView(view("v", "SELECT id, v AS o, tags AS v FROM t ORDER BY v LIMIT 1"));
    const r = c.ingest([create("t:4", { v: 99, tags: [0] })]);
    expect(r.views[0]!.deltas.map((d) => `${d.event} ${d.id.text}`)).toEqual(["DELETED t:2", "CREATED t:4"]);
  });
});
