import { describe, expect, it } from "vitest";
import { Circuit } from "./circuit.js";
import { create, eventsFor, link, remove, update, view } from "./testing.js";

const THREADS_WITH_AUTHOR = "SELECT *, (SELECT * FROM user WHERE id = $parent.author)[0] AS author FROM thread WHERE room = $room";
const THREADS_WITH_COMMENTS =
  "SELECT *, (SELECT * FROM comment WHERE thread = $parent.id ORDER BY created_at DESC LIMIT 2) AS comments FROM thread";
const THREE_LEVELS = `
  SELECT *,
    (SELECT *, (SELECT * FROM user WHERE id = $parent.author)[0] AS author
       FROM comment WHERE thread = $parent.id ORDER BY created_at DESC LIMIT 10) AS comments
  FROM thread WHERE room = $room`;

function members(c: Circuit, id: string): string[] {
  return c.getView(id)!.members.map((m) => m.id.text);
}

function comment(id: string, thread: string, createdAt: number, author?: string) {
  return create(id, { thread: link(thread), created_at: createdAt, ...(author ? { author: link(author) } : {}) });
}

describe("subqueries: [0] author", () => {
  it("adds each thread's author, and only the first matching row", () => {
    const c = new Circuit();
    c.ingest([create("user:1", { name: "ann" }), create("user:2", { name: "bob" })]);
    c.ingest([create("thread:1", { room: "r", author: link("user:1") }), create("thread:2", { room: "x", author: link("user:2") })]);
    c.registerView(view("v", THREADS_WITH_AUTHOR, { room: "r" }));
    expect(members(c, "v")).toEqual(["thread:1", "user:1"]);
  });

  it("follows the author when a thread's author changes, and updates it when its content does", () => {
    const c = new Circuit();
    c.ingest([create("user:1"), create("user:2"), create("thread:1", { room: "r", author: link("user:1") })]);
    c.registerView(view("v", THREADS_WITH_AUTHOR, { room: "r" }));
    const r = c.ingest([update("thread:1", { room: "r", author: link("user:2") })]);
    expect(eventsFor(r, "v")).toEqual(["UPDATED thread:1 v2", "DELETED user:1 v1", "CREATED user:2 v1"]);
    expect(eventsFor(c.ingest([update("user:2", { name: "b" })]), "v")).toEqual(["UPDATED user:2 v2"]);
    expect(c.ingest([update("user:1", { name: "a" })]).views).toEqual([]);
  });

  it("picks up an author created after its thread, and does not treat a link in the body as a member", () => {
    const c = new Circuit();
    c.registerView(view("v", "SELECT * FROM thread"));
    c.registerView(view("w", THREADS_WITH_AUTHOR, { room: "r" }));
    c.ingest([create("thread:1", { room: "r", author: link("user:1") })]);
    const r = c.ingest([create("user:1")]);
    expect(eventsFor(r, "v")).toEqual([]);
    expect(eventsFor(r, "w")).toEqual(["CREATED user:1 v1"]);
  });

  it("does not match a string that looks like the author's id", () => {
    const c = new Circuit();
    c.ingest([create("user:1"), create("thread:1", { room: "r", author: "user:1" })]);
    c.registerView(view("v", THREADS_WITH_AUTHOR, { room: "r" }));
    expect(members(c, "v")).toEqual(["thread:1"]);
  });
});

describe("subqueries: comments with ORDER BY and LIMIT", () => {
  it("keeps each thread's latest comments, replacing the oldest as new ones arrive", () => {
    const c = new Circuit();
    c.ingest([create("thread:1"), create("thread:2")]);
    c.registerView(view("v", THREADS_WITH_COMMENTS));
    c.ingest([comment("comment:1", "thread:1", 1), comment("comment:2", "thread:1", 2)]);
    const r = c.ingest([comment("comment:3", "thread:1", 3)]);
    expect(eventsFor(r, "v")).toEqual(["DELETED comment:1 v1", "CREATED comment:3 v1"]);
    expect(eventsFor(c.ingest([comment("comment:4", "thread:2", 0)]), "v")).toEqual(["CREATED comment:4 v1"]);
    expect(eventsFor(c.ingest([remove("comment:3")]), "v")).toEqual(["CREATED comment:1 v1", "DELETED comment:3 v1"]);
  });

  it("moves a comment between threads", () => {
    const c = new Circuit();
    c.ingest([create("thread:1"), create("thread:2"), comment("comment:1", "thread:1", 1)]);
    c.registerView(view("v", THREADS_WITH_COMMENTS));
    const r = c.ingest([comment("comment:1", "thread:2", 1)]);
    expect(eventsFor(r, "v")).toEqual(["UPDATED comment:1 v2"]);
    expect(members(c, "v")).toContain("comment:1");
  });
});

describe("subqueries: three levels and dependency deletion", () => {
  function forum(): Circuit {
    const c = new Circuit();
    c.ingest([
      create("user:1"),
      create("user:2"),
      create("user:3"),
      create("thread:1", { room: "r", author: link("user:1") }),
      comment("comment:1", "thread:1", 1, "user:2"),
      comment("comment:2", "thread:1", 2, "user:3"),
    ]);
    c.registerView(view("v", THREE_LEVELS, { room: "r" }));
    return c;
  }

  it("reaches rows three levels down", () => {
    expect(members(forum(), "v")).toEqual(["comment:1", "comment:2", "thread:1", "user:2", "user:3"]);
  });

  it("removes a thread's comments and their authors when the thread goes", () => {
    const c = forum();
    const r = c.ingest([remove("thread:1")]);
    expect(eventsFor(r, "v")).toEqual([
      "DELETED comment:1 v1",
      "DELETED comment:2 v1",
      "DELETED thread:1 v1",
      "DELETED user:2 v1",
      "DELETED user:3 v1",
    ]);
  });

  it("keeps a record while another path still reaches it", () => {
    const c = new Circuit();
    c.ingest([
      create("user:1"),
      create("thread:1", { room: "r", author: link("user:1") }),
      create("thread:2", { room: "r", author: link("user:1") }),
    ]);
    c.registerView(view("v", THREADS_WITH_AUTHOR, { room: "r" }));
    expect(eventsFor(c.ingest([remove("thread:1")]), "v")).toEqual(["DELETED thread:1 v1"]);
    expect(eventsFor(c.ingest([update("thread:2", { room: "x", author: link("user:1") })]), "v")).toEqual([
      "DELETED thread:2 v1",
      "DELETED user:1 v1",
    ]);
  });

  it("keeps a record that is both a main row and a subquery row until both paths go", () => {
    const c = new Circuit();
    c.ingest([create("user:1", { room: "r", author: link("user:1") })]);
    c.registerView(view("v", "SELECT *, (SELECT * FROM user WHERE id = $parent.author)[0] AS a FROM user WHERE room = $room", { room: "r" }));
    expect(members(c, "v")).toEqual(["user:1"]);
    expect(eventsFor(c.ingest([update("user:1", { room: "r" })]), "v")).toEqual(["UPDATED user:1 v2"]);
    expect(eventsFor(c.ingest([remove("user:1")]), "v")).toEqual(["DELETED user:1 v2"]);
  });

  it("only runs subqueries for rows inside the parent's LIMIT window", () => {
    const c = new Circuit();
    c.ingest([create("user:1"), create("user:2")]);
    c.ingest([create("thread:1", { at: 1, author: link("user:1") }), create("thread:2", { at: 2, author: link("user:2") })]);
    c.registerView(view("v", "SELECT *, (SELECT * FROM user WHERE id = $parent.author)[0] AS a FROM thread ORDER BY at DESC LIMIT 1"));
    expect(members(c, "v")).toEqual(["thread:2", "user:2"]);
    expect(eventsFor(c.ingest([remove("thread:2")]), "v")).toEqual(["DELETED thread:2 v1", "CREATED thread:1 v1", "CREATED user:1 v1", "DELETED user:2 v1"].sort(byId));
  });
});

describe("subqueries: [n] picks the n-th row of the window", () => {
  it("keeps only the second-latest comment for (…)[1], and follows it as comments come and go", () => {
    const c = new Circuit();
    c.ingest([create("thread:1"), comment("comment:1", "thread:1", 1), comment("comment:2", "thread:1", 2), comment("comment:3", "thread:1", 3)]);
    c.registerView(view("v", "SELECT *, (SELECT * FROM comment WHERE thread = $parent.id ORDER BY created_at DESC)[1] AS second FROM thread"));
    expect(members(c, "v")).toEqual(["comment:2", "thread:1"]);
    expect(eventsFor(c.ingest([comment("comment:4", "thread:1", 4)]), "v")).toEqual(["DELETED comment:2 v1", "CREATED comment:3 v1"]);
    expect(eventsFor(c.ingest([remove("comment:4"), remove("comment:3")]), "v")).toEqual(["CREATED comment:1 v1", "DELETED comment:3 v1"]);
    expect(eventsFor(c.ingest([remove("comment:1")]), "v")).toEqual(["DELETED comment:1 v1"]);
  });
});

function byId(a: string, b: string): number {
  const [, x] = a.split(" ");
  const [, y] = b.split(" ");
  return x! < y! ? -1 : x! > y! ? 1 : 0;
}
