import { describe, expect, it } from "vitest";
import { Circuit } from "./circuit.js";
import { create, eventsFor, link, remove, update, view } from "./testing.js";

// What SurrealDB 3.0.2 does, checked against the embedded engine: WHERE and
// `$parent` paths follow record links (`author.n` reads the linked user, NONE
// when it does not exist); ORDER BY sorts on the stored document and does not.

function members(c: Circuit, id: string): string[] {
  return c.getView(id)!.members.map((m) => m.id.text);
}

function users(): ReturnType<typeof create>[] {
  return [create("user:1", { n: 5, best: link("user:2") }), create("user:2", { n: 7, best: link("user:1") })];
}

describe("WHERE through a record link", () => {
  it("reads the linked record, before and after the view is registered", () => {
    const c = new Circuit();
    c.registerView(view("early", "SELECT * FROM thread WHERE author.n = 5"));
    c.ingest([...users(), create("thread:1", { author: link("user:1") }), create("thread:2", { author: link("user:2") })]);
    c.ingest([create("thread:3", { author: "user:1" }), create("thread:4", { author: { n: 5 } })]);
    c.registerView(view("late", "SELECT * FROM thread WHERE author.n = 5"));
    // A string that looks like an id is not a link; a nested object is read as it is.
    expect(members(c, "early")).toEqual(["thread:1", "thread:4"]);
    expect(members(c, "late")).toEqual(["thread:1", "thread:4"]);
  });

  it("moves rows in and out when the linked record changes, and only the views that read it", () => {
    const c = new Circuit();
    c.ingest([...users(), create("thread:1", { author: link("user:1") }), create("thread:2", { author: link("user:2") })]);
    c.registerView(view("v", "SELECT * FROM thread WHERE author.n = 5"));
    c.registerView(view("plain", "SELECT * FROM thread WHERE n = 5"));
    const r = c.ingest([update("user:1", { n: 6 }), update("user:2", { n: 5 })]);
    expect(eventsFor(r, "v")).toEqual(["DELETED thread:1 v1", "CREATED thread:2 v1"]);
    expect(r.views.map((d) => d.viewId)).toEqual(["v"]);
    expect(c.ingest([update("user:2", { n: 5, other: 1 })]).views).toEqual([]);
  });

  it("reads NONE through a link to a missing record, until it is created", () => {
    const c = new Circuit();
    c.ingest([create("thread:1", { author: link("user:9") })]);
    c.registerView(view("some", "SELECT * FROM thread WHERE author.n = 5"));
    c.registerView(view("none", "SELECT * FROM thread WHERE author.n IS NONE"));
    expect(members(c, "none")).toEqual(["thread:1"]);
    const created = c.ingest([create("user:9", { n: 5 })]);
    expect(eventsFor(created, "some")).toEqual(["CREATED thread:1 v1"]);
    expect(eventsFor(created, "none")).toEqual(["DELETED thread:1 v1"]);
    const deleted = c.ingest([remove("user:9")]);
    expect(eventsFor(deleted, "some")).toEqual(["DELETED thread:1 v1"]);
    expect(eventsFor(deleted, "none")).toEqual(["CREATED thread:1 v1"]);
  });

  it("follows every link of an array, and several hops", () => {
    const c = new Circuit();
    c.ingest([...users(), create("thread:1", { authors: [link("user:1"), link("user:2")], author: link("user:1") })]);
    c.registerView(view("any", "SELECT * FROM thread WHERE authors.n CONTAINS 7"));
    c.registerView(view("hops", "SELECT * FROM thread WHERE author.best.best.n = 5"));
    expect(members(c, "any")).toEqual(["thread:1"]);
    expect(members(c, "hops")).toEqual(["thread:1"]);
    // The last hop's record changes; then the middle hop points elsewhere.
    expect(eventsFor(c.ingest([update("user:1", { n: 4, best: link("user:2") })]), "hops")).toEqual(["DELETED thread:1 v1"]);
    const r = c.ingest([create("user:3", { n: 4 }), update("user:2", { n: 7, best: link("user:3") })]);
    expect(eventsFor(r, "hops")).toEqual([]);
    expect(eventsFor(c.ingest([update("user:3", { n: 5 })]), "hops")).toEqual(["CREATED thread:1 v1"]);
    expect(eventsFor(c.ingest([update("user:1", { n: 4, best: link("user:1") })]), "hops")).toEqual(["DELETED thread:1 v1"]);
    expect(eventsFor(c.ingest([update("user:1", { n: 5, best: link("user:1") })]), "hops")).toEqual(["CREATED thread:1 v1"]);
    expect(eventsFor(c.ingest([update("user:2", { n: 1 })]), "any")).toEqual(["DELETED thread:1 v1"]);
  });

  it("reads a record's own fields through a link to itself, as they were before a change", () => {
    const c = new Circuit();
    c.ingest([create("thread:1", { t: 1, self: link("thread:1") })]);
    c.registerView(view("v", "SELECT * FROM thread WHERE self.t = 1"));
    expect(members(c, "v")).toEqual(["thread:1"]);
    expect(eventsFor(c.ingest([update("thread:1", { t: 2, self: link("thread:1") })]), "v")).toEqual(["DELETED thread:1 v1"]);
    expect(eventsFor(c.ingest([update("thread:1", { t: 1, self: link("thread:1") })]), "v")).toEqual(["CREATED thread:1 v3"]);
  });

  it("reads `id.x` as the row's own field", () => {
    const c = new Circuit();
    c.ingest([create("t:1", { n: 1 }), create("t:2", { n: 2 })]);
    c.registerView(view("v", "SELECT * FROM t WHERE id.n = 2"));
    expect(members(c, "v")).toEqual(["t:2"]);
    expect(eventsFor(c.ingest([update("t:1", { n: 2 })]), "v")).toEqual(["CREATED t:1 v2"]);
  });

  it("keeps a window full when a linked record change moves a row out of it", () => {
    const c = new Circuit();
    c.ingest([...users(), create("user:3", { n: 5 })]);
    c.ingest([1, 2, 3].map((k) => create(`thread:${k}`, { at: k, author: link(`user:${k}`) })));
    c.registerView(view("v", "SELECT * FROM thread WHERE author.n >= 5 ORDER BY at LIMIT 2"));
    expect(members(c, "v")).toEqual(["thread:1", "thread:2"]);
    expect(eventsFor(c.ingest([update("user:1", { n: 0 })]), "v")).toEqual(["DELETED thread:1 v1", "CREATED thread:3 v1"]);
  });
});

describe("ORDER BY does not follow record links", () => {
  it("sorts a link's field as NONE, and ignores changes to the linked record", () => {
    const c = new Circuit();
    c.ingest([create("user:1", { n: 1 }), create("t:1", { u: link("user:1") }), create("t:2", { u: { n: 9 } }), create("t:3", { u: { n: 5 } })]);
    c.registerView(view("v", "SELECT * FROM t ORDER BY u.n LIMIT 2"));
    c.registerView(view("own", "SELECT * FROM t ORDER BY id.u DESC LIMIT 1"));
    expect(members(c, "v")).toEqual(["t:1", "t:3"]);
    expect(members(c, "own")).toEqual(["t:1"]);
    expect(c.ingest([update("user:1", { n: 100 })]).views).toEqual([]);
  });
});

describe("$parent paths through a record link", () => {
  const SQL = "SELECT *, (SELECT * FROM user WHERE n = $parent.author.n) AS peers FROM thread";

  it("correlates on the linked record's field, and restarts the subquery when that record changes", () => {
    const c = new Circuit();
    c.ingest([...users(), create("user:3", { n: 7 }), create("thread:1", { author: link("user:1") })]);
    c.registerView(view("v", SQL));
    expect(members(c, "v")).toEqual(["thread:1", "user:1"]);
    expect(eventsFor(c.ingest([update("user:1", { n: 7 })]), "v")).toEqual(["UPDATED user:1 v2", "CREATED user:2 v1", "CREATED user:3 v1"]);
    expect(members(c, "v")).toEqual(["thread:1", "user:1", "user:2", "user:3"]);
    expect(eventsFor(c.ingest([update("user:1", { n: 5 })]), "v")).toEqual(["UPDATED user:1 v3", "DELETED user:2 v1", "DELETED user:3 v1"]);
  });

  it("reads a subquery row's links too, and `$parent.id.x` as the parent's own field", () => {
    const c = new Circuit();
    c.ingest([...users(), create("thread:1", { min: 6 }), create("comment:1", { thread: link("thread:1"), author: link("user:1") })]);
    c.registerView(view("v", "SELECT *, (SELECT * FROM comment WHERE thread = $parent.id AND author.n >= $parent.id.min) AS cs FROM thread"));
    expect(members(c, "v")).toEqual(["thread:1"]);
    expect(eventsFor(c.ingest([update("user:1", { n: 6 })]), "v")).toEqual(["CREATED comment:1 v1"]);
    expect(eventsFor(c.ingest([update("thread:1", { min: 7 })]), "v")).toEqual(["DELETED comment:1 v1", "UPDATED thread:1 v2"]);
  });
});

describe("params that are record links", () => {
  it("read the linked record, and the view follows it when it changes", () => {
    const c = new Circuit();
    c.ingest([create("user:1", { team: "red", best: link("user:2") }), create("user:2", { team: "blue" })]);
    c.ingest([create("t:1", { team: "red" }), create("t:2", { team: "blue" }), create("t:3", { team: "green" })]);
    c.registerView(view("mine", "SELECT * FROM t WHERE team = $me.team", { me: link("user:1") }));
    c.registerView(view("friend", "SELECT * FROM t WHERE team = $me.best.team", { me: link("user:1") }));
    c.registerView(view("sub", "SELECT *, (SELECT * FROM t WHERE team = $me.team) AS same FROM user WHERE id = $me", { me: link("user:1") }));
    expect(members(c, "mine")).toEqual(["t:1"]);
    expect(members(c, "friend")).toEqual(["t:2"]);
    expect(members(c, "sub")).toEqual(["t:1", "user:1"]);
    const moved = c.ingest([update("user:1", { team: "green", best: link("user:2") })]);
    expect(eventsFor(moved, "mine")).toEqual(["DELETED t:1 v1", "CREATED t:3 v1"]);
    expect(eventsFor(moved, "friend")).toEqual([]);
    expect(eventsFor(moved, "sub")).toEqual(["DELETED t:1 v1", "CREATED t:3 v1", "UPDATED user:1 v2"]);
    // The second hop: user:2 changes team; then user:1 points elsewhere.
    expect(eventsFor(c.ingest([update("user:2", { team: "red" })]), "friend")).toEqual(["CREATED t:1 v1", "DELETED t:2 v1"]);
    const repointed = c.ingest([create("user:3", { team: "green" }), update("user:1", { team: "green", best: link("user:3") })]);
    expect(eventsFor(repointed, "friend")).toEqual(["DELETED t:1 v1", "CREATED t:3 v1"]);
    expect(eventsFor(c.ingest([update("user:2", { team: "blue" })]), "friend")).toEqual([]);
    // A link to a record that does not exist reads NONE, until it is created.
    c.registerView(view("ghost", "SELECT * FROM t WHERE team = $g.team", { g: link("user:9") }));
    expect(members(c, "ghost")).toEqual([]);
    expect(eventsFor(c.ingest([create("user:9", { team: "blue" })]), "ghost")).toEqual(["CREATED t:2 v1"]);
    expect(eventsFor(c.ingest([remove("user:9")]), "ghost")).toEqual(["DELETED t:2 v1"]);
  });
});

describe("a change that both starts a subquery and moves the rows it reads", () => {
  it("does not push to the new subquery a change it already reflects", () => {
    const c = new Circuit();
    c.registerView(view("v", "SELECT *, (SELECT * FROM thread WHERE author = $parent.id AND author.n = 1) AS ts FROM user"));
    c.registerView(view("w", "SELECT *, (SELECT * FROM thread WHERE author = $parent.id AND author.n = 1 ORDER BY at LIMIT 1 START 1) AS ts FROM user"));
    // user:1's subqueries exist already, so the threads' links to user:2 are indexed.
    c.ingest([create("user:1"), create("thread:1", { at: 1, author: link("user:2") }), create("thread:2", { at: 2, author: link("user:2") })]);
    // Creating user:2 starts its subqueries (which see user:2) and makes both threads read n = 1.
    const created = c.ingest([create("user:2", { n: 1 })]);
    expect(eventsFor(created, "v")).toEqual(["CREATED thread:1 v1", "CREATED thread:2 v1", "CREATED user:2 v1"]);
    expect(eventsFor(created, "w")).toEqual(["CREATED thread:2 v1", "CREATED user:2 v1"]);
    const deleted = c.ingest([remove("thread:1")]);
    expect(eventsFor(deleted, "v")).toEqual(["DELETED thread:1 v1"]);
    expect(eventsFor(deleted, "w")).toEqual(["DELETED thread:2 v1"]);
    expect(members(c, "v")).toEqual(["thread:2", "user:1", "user:2"]);
    expect(members(c, "w")).toEqual(["user:1", "user:2"]);
  });
});

describe("link dependencies across restarts", () => {
  it("a restored circuit moves rows when linked records change, as the original does", () => {
    const a = new Circuit();
    a.ingest([...users(), create("thread:1", { author: link("user:1") })]);
    a.registerView(view("v", "SELECT * FROM thread WHERE author.n = 5"));
    const b = Circuit.fromSnapshot(JSON.parse(JSON.stringify(a.exportState())));
    for (const c of [a, b]) expect(eventsFor(c.ingest([update("user:1", { n: 4 })]), "v")).toEqual(["DELETED thread:1 v1"]);
  });
});
