import { describe, expect, it } from "vitest";
import { Circuit } from "./circuit.js";
import { CircuitError } from "./errors.js";
import { create, events, eventsFor, link, remove, update, view } from "./testing.js";

function members(c: Circuit, id: string): string[] {
  return c.getView(id)!.members.map((m) => m.id.text);
}

describe("views: registration", () => {
  it("computes the initial membership from records already held, at sequence 0", () => {
    const c = new Circuit();
    c.ingest([create("user:2", { age: 20 }), create("user:1", { age: 30 }), create("user:3", { age: 5 })]);
    const r = c.registerView(view("v", "SELECT * FROM user WHERE age > 18"));
    expect(r.view.sequence).toBe(0);
    expect(r.replaced).toBeUndefined();
    expect(r.view.members.map((m) => `${m.id.text} v${m.version}`)).toEqual(["user:1 v1", "user:2 v1"]);
  });

  it("follows records that arrive after registration", () => {
    const c = new Circuit();
    c.registerView(view("v", "SELECT * FROM user WHERE age > 18"));
    const r = c.ingest([create("user:1", { age: 30 })]);
    expect(r.views).toEqual([expect.objectContaining({ viewId: "v", clientId: "client", sequence: 1 })]);
    expect(eventsFor(r, "v")).toEqual(["CREATED user:1 v1"]);
  });

  it("replaces a view re-registered under the same id and emits only the difference", () => {
    const c = new Circuit();
    c.ingest([create("user:1", { age: 10 }), create("user:2", { age: 20 }), create("user:3", { age: 30 })]);
    c.registerView(view("v", "SELECT * FROM user WHERE age >= 20"));
    const r = c.registerView(view("v", "SELECT * FROM user WHERE age <= 20"));
    expect(r.replaced?.sequence).toBe(1);
    expect(events(r.replaced)).toEqual(["CREATED user:1 v1", "DELETED user:3 v1"]);
    expect(members(c, "v")).toEqual(["user:1", "user:2"]);
    // The old plan no longer feeds the view.
    expect(eventsFor(c.ingest([create("user:4", { age: 40 })]), "v")).toEqual([]);
  });

  it("emits nothing and keeps the sequence when a re-registration does not change membership", () => {
    const c = new Circuit();
    c.ingest([create("user:1", { age: 10 })]);
    c.registerView(view("v", "SELECT * FROM user"));
    const r = c.registerView(view("v", "SELECT * FROM user WHERE age < 100"));
    expect(r.replaced).toBeUndefined();
    expect(r.view.sequence).toBe(0);
  });

  it("leaves the previous view untouched when a re-registration is invalid", () => {
    const c = new Circuit();
    c.ingest([create("user:1", {})]);
    c.registerView(view("v", "SELECT * FROM user"));
    expect(() => c.registerView(view("v", "SELECT count() FROM user GROUP ALL"))).toThrow(CircuitError);
    expect(members(c, "v")).toEqual(["user:1"]);
    expect(c.getView("v")!.spec.surql).toBe("SELECT * FROM user");
  });

  it("unregisters, and reports an unknown id as NOT_FOUND", () => {
    const c = new Circuit();
    c.ingest([create("user:1", {})]);
    c.registerView(view("v", "SELECT * FROM user"));
    expect(c.unregisterView("v").view.members).toHaveLength(1);
    expect(c.getView("v")).toBeUndefined();
    expect(c.ingest([update("user:1", { a: 1 })]).views).toEqual([]);
    expect(() => c.unregisterView("v")).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
  });

  it("lists views ordered by id, optionally for one client", () => {
    const c = new Circuit();
    c.registerView(view("b", "SELECT * FROM user", {}, "alice"));
    c.registerView(view("a", "SELECT * FROM user", {}, "bob"));
    c.registerView(view("c", "SELECT * FROM user", {}, "alice"));
    expect(c.listViews().map((v) => v.spec.id)).toEqual(["a", "b", "c"]);
    expect(c.listViews("alice").map((v) => v.spec.id)).toEqual(["b", "c"]);
    expect(c.stats().views).toBe(3);
  });

  it("orders members by record id: numeric keys first, then string keys", () => {
    const c = new Circuit();
    c.ingest([create("t:b"), create("t:10"), create("t:⟨1⟩"), create("t:2"), create("t:a")]);
    c.registerView(view("v", "SELECT * FROM t"));
    expect(members(c, "v")).toEqual(["t:2", "t:10", "t:⟨1⟩", "t:a", "t:b"]);
  });

  it("recomputes a registered view from scratch to the membership it maintains", () => {
    const c = new Circuit();
    c.registerView(view("v", "SELECT * FROM user WHERE age > 18 ORDER BY age DESC LIMIT 3"));
    c.ingest(Array.from({ length: 20 }, (_, i) => create(`user:${i}`, { age: i * 3 })));
    c.ingest([remove("user:19"), update("user:2", { age: 99 })]);
    expect(c.recomputeView("v").map((id) => id.text)).toEqual(members(c, "v"));
    expect(members(c, "v")).toEqual(["user:2", "user:17", "user:18"]);
  });

  it("finds records by id text or RecordId, and nothing for text that is not an id", () => {
    const c = new Circuit();
    c.ingest([create("user:⟨a b⟩", { n: 1 })]);
    expect(c.getRecord("user:⟨a b⟩")?.version).toBe(1);
    expect(c.getRecord(c.getRecord("user:`a b`")!.id)?.body.n).toBe(1);
    expect(c.getRecord("not an id")).toBeUndefined();
  });

  it("forgets everything on reset", () => {
    const c = new Circuit();
    c.ingest([create("t:1")]);
    c.registerView(view("v", "SELECT * FROM t"));
    c.reset();
    expect(c.stats()).toEqual({ views: 0, records: 0, staleIngests: 0 });
  });
});

describe("views: parameters", () => {
  it("binds $params, including record links and nested $param.field", () => {
    const c = new Circuit();
    c.ingest([
      create("msg:1", { room: link("room:1"), lang: "en" }),
      create("msg:2", { room: link("room:2"), lang: "en" }),
      create("msg:3", { room: link("room:1"), lang: "fr" }),
    ]);
    c.registerView(view("v", "SELECT * FROM msg WHERE room = $room AND lang = $prefs.lang", { room: link("room:1"), prefs: { lang: "en" } }));
    expect(members(c, "v")).toEqual(["msg:1"]);
  });

  it("moves a record between views that differ only in their params", () => {
    const c = new Circuit();
    for (const room of ["a", "b", "c"]) c.registerView(view(room, "SELECT * FROM msg WHERE room = $room", { room }));
    expect(eventsFor(c.ingest([create("msg:1", { room: "a" })]), "a")).toEqual(["CREATED msg:1 v1"]);
    const r = c.ingest([update("msg:1", { room: "b" })]);
    expect(r.views.map((v) => v.viewId)).toEqual(["a", "b"]);
    expect(eventsFor(r, "a")).toEqual(["DELETED msg:1 v1"]);
    expect(eventsFor(r, "b")).toEqual(["CREATED msg:1 v2"]);
  });

  it("rejects a query reading a param the view does not give", () => {
    const c = new Circuit();
    expect(() => c.registerView(view("v", "SELECT * FROM msg WHERE room = $room"))).toThrow(/\$room/);
  });
});

describe("views: ORDER BY, LIMIT, START", () => {
  function scored(c: Circuit, ...scores: [number, number][]): void {
    c.ingest(scores.map(([k, score]) => create(`p:${k}`, { score })));
  }

  it("keeps the top k by a descending key, displacing the last on a better entry", () => {
    const c = new Circuit();
    scored(c, [1, 10], [2, 20], [3, 30]);
    c.registerView(view("top", "SELECT * FROM p ORDER BY score DESC LIMIT 2"));
    expect(members(c, "top")).toEqual(["p:2", "p:3"]);
    expect(eventsFor(c.ingest([create("p:4", { score: 25 })]), "top")).toEqual(["DELETED p:2 v1", "CREATED p:4 v1"]);
    expect(eventsFor(c.ingest([create("p:5", { score: 1 })]), "top")).toEqual([]);
  });

  it("refills from the next row when a member leaves, ascending", () => {
    const c = new Circuit();
    scored(c, [1, 10], [2, 20], [3, 30]);
    c.registerView(view("low", "SELECT * FROM p ORDER BY score ASC LIMIT 2"));
    expect(eventsFor(c.ingest([remove("p:1")]), "low")).toEqual(["DELETED p:1 v1", "CREATED p:3 v1"]);
    expect(eventsFor(c.ingest([update("p:3", { score: 99 })]), "low")).toEqual(["UPDATED p:3 v2"]);
  });

  it("skips START rows and shifts the window as rows enter before it", () => {
    const c = new Circuit();
    scored(c, [1, 10], [2, 20], [3, 30], [4, 40]);
    c.registerView(view("page", "SELECT * FROM p ORDER BY score LIMIT 2 START 1"));
    expect(members(c, "page")).toEqual(["p:2", "p:3"]);
    expect(eventsFor(c.ingest([create("p:0", { score: 0 })]), "page")).toEqual(["CREATED p:1 v1", "DELETED p:3 v1"]);
  });

  it("breaks ties by record id in both directions, and orders LIMIT without ORDER BY by record id", () => {
    const c = new Circuit();
    scored(c, [3, 5], [1, 5], [2, 5]);
    c.registerView(view("asc", "SELECT * FROM p ORDER BY score ASC LIMIT 2"));
    c.registerView(view("desc", "SELECT * FROM p ORDER BY score DESC LIMIT 2"));
    c.registerView(view("plain", "SELECT * FROM p LIMIT 2"));
    expect(members(c, "asc")).toEqual(["p:1", "p:2"]);
    expect(members(c, "desc")).toEqual(["p:1", "p:2"]);
    expect(members(c, "plain")).toEqual(["p:1", "p:2"]);
  });

  it("sorts by several keys", () => {
    const c = new Circuit();
    c.ingest([create("p:1", { a: 1, b: 1 }), create("p:2", { a: 1, b: 2 }), create("p:3", { a: 0, b: 0 })]);
    c.registerView(view("v", "SELECT * FROM p ORDER BY a DESC, b DESC LIMIT 1"));
    expect(members(c, "v")).toEqual(["p:2"]);
  });

  it("orders by a projected field, by its alias, or by the aliased field's own path", () => {
    const c = new Circuit();
    c.ingest([create("p:1", { s: { v: 2 } }), create("p:2", { s: { v: 1 } })]);
    c.registerView(view("alias", "SELECT s.v AS x FROM p ORDER BY x LIMIT 1"));
    c.registerView(view("inner", "SELECT s.v FROM p ORDER BY s.v DESC LIMIT 1"));
    c.registerView(view("source", "SELECT s.v AS x FROM p ORDER BY s.v LIMIT 1"));
    expect(members(c, "alias")).toEqual(["p:2"]);
    expect(members(c, "inner")).toEqual(["p:1"]);
    expect(members(c, "source")).toEqual(["p:2"]);
  });

  it("keeps LIMIT 10 exact over 10,000 records as they come and go", () => {
    const c = new Circuit();
    c.registerView(view("top", "SELECT * FROM p ORDER BY score DESC LIMIT 10"));
    c.ingest(Array.from({ length: 10_000 }, (_, i) => create(`p:${i}`, { score: (i * 7919) % 10_000 })));
    const top = () => members(c, "top");
    const expected = (exclude: Set<number>) =>
      Array.from({ length: 10_000 }, (_, i) => i)
        .filter((i) => !exclude.has(i))
        .sort((a, b) => ((b * 7919) % 10_000) - ((a * 7919) % 10_000))
        .slice(0, 10)
        .map((i) => `p:${i}`)
        .sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)));
    expect(top()).toEqual(expected(new Set()));
    const gone = new Set<number>();
    for (const m of c.getView("top")!.members.slice(0, 5)) gone.add(m.id.key as number);
    c.ingest([...gone].map((k) => remove(`p:${k}`)));
    expect(top()).toEqual(expected(gone));
  });

  it("reads on past the ordered front of a large table as its best rows are deleted", () => {
    // Shared windows keep only the first 1,024 rows of the order in a tree (operators/sorted-rows.ts):
    // deleting the best rows in batches drains that front, and refills must bring the next ones in.
    const c = new Circuit();
    const score = (i: number) => (i * 7919) % 3_000;
    c.ingest(Array.from({ length: 3_000 }, (_, i) => create(`p:${i}`, { score: score(i), even: i % 2 === 0 })));
    const specs = [
      view("top", "SELECT * FROM p ORDER BY score DESC LIMIT 3"),
      view("evens", "SELECT * FROM p WHERE even = $even ORDER BY score DESC LIMIT 2 START 1", { even: true }),
    ];
    for (const s of specs) c.registerView(s);
    const live = new Set(Array.from({ length: 3_000 }, (_, i) => i));
    const best = () => [...live].sort((a, b) => score(b) - score(a));
    const expected = (keys: number[]) => keys.map((i) => `p:${i}`).sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)));
    for (let round = 0; round < 8; round++) {
      const batch = best().slice(0, 300);
      c.ingest(batch.map((i) => remove(`p:${i}`)));
      for (const i of batch) live.delete(i);
      expect(members(c, "top")).toEqual(expected(best().slice(0, 3)));
      expect(members(c, "evens")).toEqual(expected(best().filter((i) => i % 2 === 0).slice(1, 3)));
    }
  });
});
