import { describe, expect, it } from "vitest";
import { Circuit } from "./circuit.js";
import { CircuitError } from "./errors.js";
import { create, eventsFor, link, remove, update, view } from "./testing.js";
import type { RecordChange } from "./types.js";

function circuitWithAllUsers(): Circuit {
  const c = new Circuit();
  c.registerView(view("all", "SELECT * FROM user"));
  return c;
}

describe("ingest: versions and no-ops", () => {
  it("starts a record at version 1 and adds 1 per change of content", () => {
    const c = circuitWithAllUsers();
    expect(eventsFor(c.ingest([create("user:1", { n: 1 })]), "all")).toEqual(["CREATED user:1 v1"]);
    expect(eventsFor(c.ingest([update("user:1", { n: 2 })]), "all")).toEqual(["UPDATED user:1 v2"]);
    expect(c.getRecord("user:1")).toMatchObject({ version: 2, body: { n: 2, id: { $rid: "user:1" } } });
  });

  it("treats an update with identical content as a no-op that emits nothing", () => {
    const c = circuitWithAllUsers();
    c.ingest([create("user:1", { n: 1, tags: ["a"] })]);
    const r = c.ingest([update("user:1", { tags: ["a"], n: 1 })]);
    expect(r.views).toEqual([]);
    expect(c.getRecord("user:1")?.version).toBe(1);
  });

  it("treats a duplicate CREATE as an update", () => {
    const c = circuitWithAllUsers();
    c.ingest([create("user:1", { n: 1 })]);
    expect(c.ingest([create("user:1", { n: 1 })]).views).toEqual([]);
    expect(eventsFor(c.ingest([create("user:1", { n: 5 })]), "all")).toEqual(["UPDATED user:1 v2"]);
  });

  it("upserts on an UPDATE of an unknown record", () => {
    const c = circuitWithAllUsers();
    expect(eventsFor(c.ingest([update("user:9", { n: 1 })]), "all")).toEqual(["CREATED user:9 v1"]);
  });

  it("ignores a DELETE of an unknown record", () => {
    const c = circuitWithAllUsers();
    const r = c.ingest([remove("user:404")]);
    expect(r).toEqual({ views: [], applied: 1, stale: 0 });
  });

  it("re-creates a deleted record at the next version, so clients see a fresh version", () => {
    const c = circuitWithAllUsers();
    c.ingest([create("user:1", { n: 1 })]);
    expect(eventsFor(c.ingest([remove("user:1")]), "all")).toEqual(["DELETED user:1 v1"]);
    expect(c.getRecord("user:1")).toBeUndefined();
    expect(eventsFor(c.ingest([create("user:1", { n: 1 })]), "all")).toEqual(["CREATED user:1 v2"]);
  });

  it("nets a delete and re-create in one batch to an update of the record", () => {
    const c = circuitWithAllUsers();
    c.ingest([create("user:1", { n: 1 })]);
    expect(eventsFor(c.ingest([remove("user:1"), create("user:1", { n: 2 })]), "all")).toEqual(["UPDATED user:1 v2"]);
  });

  it("reports each record once per batch, however many records and changes the batch holds", () => {
    const c = circuitWithAllUsers();
    const ids = Array.from({ length: 20 }, (_, i) => `user:${i}`);
    c.ingest(ids.slice(0, 10).map((id) => create(id, { n: 0 })));
    const batch = [...ids.map((id) => update(id, { n: 1 })), ...ids.map((id) => update(id, { n: 2 })), remove("user:3"), create("user:3", { n: 3 })];
    const expected = ids.map((id, i) => (i < 10 ? `UPDATED ${id} v${id === "user:3" ? 4 : 3}` : `CREATED ${id} v2`));
    expect(eventsFor(c.ingest(batch), "all").sort()).toEqual(expected.sort());
  });

  it("takes a body id that names the record (its id or its key), and stores the record id", () => {
    const c = circuitWithAllUsers();
    c.ingest([create("user:1", { id: link("user:1"), n: 1 }), create("user:2", { id: 2, n: 1 }), create("user:abc", { id: "abc", n: 1 })]);
    expect(c.getRecord("user:1")?.body).toEqual({ id: { $rid: "user:1" }, n: 1 });
    expect(c.getRecord("user:2")?.body).toEqual({ id: { $rid: "user:2" }, n: 1 });
    expect(c.getRecord("user:abc")?.body).toEqual({ id: { $rid: "user:abc" }, n: 1 });
  });

  it("refuses a body id that names another record, or the id as a plain string, as SurrealDB does", () => {
    const c = circuitWithAllUsers();
    for (const id of [link("user:2"), "user:1", "something else", "1", null]) {
      let err: unknown;
      try {
        c.ingest([create("user:1", { id, n: 1 })]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CircuitError);
      expect((err as CircuitError).code).toBe("INVALID_ARGUMENT");
      expect((err as CircuitError).message).toMatch(/^change 0: the body's id .* is not the record's id user:1/);
    }
    expect(c.getRecord("user:1")).toBeUndefined();
  });

  it("keeps record links and plain strings apart", () => {
    const c = new Circuit();
    c.registerView(view("by-link", "SELECT * FROM post WHERE author = user:1"));
    const r = c.ingest([create("post:1", { author: link("user:1") }), create("post:2", { author: "user:1" })]);
    expect(eventsFor(r, "by-link")).toEqual(["CREATED post:1 v1"]);
  });
});

describe("ingest: explicit versions", () => {
  it("takes the explicit version and ignores, counts and reports stale ones", () => {
    const c = circuitWithAllUsers();
    expect(eventsFor(c.ingest([create("user:1", { n: 1 }, 5)]), "all")).toEqual(["CREATED user:1 v5"]);
    const stale = c.ingest([update("user:1", { n: 2 }, 5), update("user:1", { n: 3 }, 4)]);
    expect(stale).toEqual({ views: [], applied: 0, stale: 2 });
    expect(c.stats().staleIngests).toBe(2);
    expect(c.getRecord("user:1")?.body.n).toBe(1);
    expect(eventsFor(c.ingest([update("user:1", { n: 2 }, 9)]), "all")).toEqual(["UPDATED user:1 v9"]);
  });

  it("keeps a redelivered change older than a delete stale", () => {
    const c = circuitWithAllUsers();
    c.ingest([create("user:1", { n: 1 }, 1), remove("user:1", 2)]);
    const r = c.ingest([create("user:1", { n: 1 }, 1)]);
    expect(r.stale).toBe(1);
    expect(c.getRecord("user:1")).toBeUndefined();
  });
});

describe("ingest: batches", () => {
  it("gives each view one delta with the batch's net effect", () => {
    const c = circuitWithAllUsers();
    c.ingest([create("user:2", { n: 0 })]);
    const r = c.ingest([
      create("user:1", { n: 1 }),
      update("user:1", { n: 2 }),
      create("user:3", {}),
      remove("user:3"),
      update("user:2", { n: 1 }),
      update("user:2", { n: 0 }),
    ]);
    expect(r.views).toHaveLength(1);
    expect(r.views[0]!.sequence).toBe(2);
    expect(eventsFor(r, "all")).toEqual(["CREATED user:1 v2", "UPDATED user:2 v3"]);
  });

  it("rejects the whole batch when change k is bad, naming k, and applies nothing", () => {
    const bad: [RecordChange, RegExp][] = [
      [{ op: "UPSERT", id: "user:2", body: {} }, /op/],
      [{ op: "CREATE", id: "user 2", body: {} }, /record id/],
      [{ op: "CREATE", id: "user:2", table: "post", body: {} }, /table "post"/],
      [{ op: "UPDATE", id: "user:2", body: [1] }, /object body/],
      [{ op: "CREATE", id: "user:2" }, /object body/],
      [{ op: "CREATE", id: "user:2", body: {}, version: -1 }, /version/],
      [{ op: "CREATE", id: "user:2", body: {}, version: 1.5 }, /version/],
      [{ op: "CREATE", id: "user:2", body: { a: { $rid: "nope" } } }, /body/],
    ];
    for (const [change, message] of bad) {
      const c = circuitWithAllUsers();
      let error: unknown;
      try {
        c.ingest([create("user:1", { n: 1 }), change]);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CircuitError);
      expect((error as CircuitError).code).toBe("INVALID_ARGUMENT");
      expect((error as CircuitError).index).toBe(1);
      expect((error as CircuitError).message).toMatch(/change 1/);
      expect((error as CircuitError).message).toMatch(message);
      expect(c.stats().records).toBe(0);
      expect(c.getView("all")!.sequence).toBe(0);
    }
  });

  it("accepts ops in any case", () => {
    const c = circuitWithAllUsers();
    expect(c.ingest([{ op: "create", id: "user:1", body: {} }, { op: "Delete", id: "user:1" }]).applied).toBe(2);
  });
});

describe("ingest: routing", () => {
  it("emits nothing for a change to a table no view reads", () => {
    const c = circuitWithAllUsers();
    expect(c.ingest([create("post:1", { title: "x" })]).views).toEqual([]);
  });

  it("emits to every view on a table that the change affects, and only those", () => {
    const c = new Circuit();
    c.registerView(view("adults", "SELECT * FROM user WHERE age >= 18"));
    c.registerView(view("kids", "SELECT * FROM user WHERE age < 18"));
    c.registerView(view("all", "SELECT * FROM user"));
    const r = c.ingest([create("user:1", { age: 30 })]);
    expect(r.views.map((v) => v.viewId)).toEqual(["adults", "all"]);
    const moved = c.ingest([update("user:1", { age: 10 })]);
    expect(eventsFor(moved, "adults")).toEqual(["DELETED user:1 v1"]);
    expect(eventsFor(moved, "kids")).toEqual(["CREATED user:1 v2"]);
    expect(eventsFor(moved, "all")).toEqual(["UPDATED user:1 v2"]);
  });

  it("handles 100 inserts then 50 deletes", () => {
    const c = circuitWithAllUsers();
    const r1 = c.ingest(Array.from({ length: 100 }, (_, i) => create(`user:${i}`, { i })));
    expect(r1.views[0]!.deltas).toHaveLength(100);
    const r2 = c.ingest(Array.from({ length: 50 }, (_, i) => remove(`user:${i * 2}`)));
    expect(r2.views[0]!.deltas.every((d) => d.event === "DELETED")).toBe(true);
    expect(c.getView("all")!.members.map((m) => m.id.text)).toEqual(Array.from({ length: 50 }, (_, i) => `user:${i * 2 + 1}`));
  });
});
