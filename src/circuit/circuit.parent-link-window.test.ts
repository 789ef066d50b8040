import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SurrealOracle } from "../../test/differential/oracle.js";
import { disagreements, replaySteps, type ReplayStep } from "../../test/differential/replay-steps.js";
import { create, link, remove, update } from "./testing.js";

// Issue 23 B: a subquery whose `$parent` path crosses a link, under a parent
// kept in a shared window (LIMIT without an equality WHERE). A change to the
// linked record reaches the parent row as "the row as it read before → as it
// reads now", the same row object on both sides; the window must still pass
// that on, so the row's subqueries are evaluated again. Checked live against
// the embedded SurrealDB, step by step.

const TABLES = ["user", "team", "post", "comment"];

let oracle: SurrealOracle;
beforeAll(async () => {
  oracle = await SurrealOracle.open();
});
afterAll(async () => {
  await oracle.close();
});

const teamSteps: ReplayStep[] = [
  create("user:2", { n: 5 }),
  create("user:3", { n: 7 }),
  create("team:6", { n: 1 }),
  create("post:3", { n: 1, team: link("team:6") }),
  update("team:6", { n: 5, lead: link("user:2") }),
  update("team:6", { n: 7, lead: link("user:3") }),
  remove("team:6"),
] as ReplayStep[];

describe("a $parent path through a link, under a windowed parent", () => {
  it("re-evaluates the row's subqueries when the linked record changes (LIMIT, no ORDER BY)", async () => {
    const checks = await replaySteps(oracle, TABLES, [{ id: "lead", surql: "SELECT *, (SELECT * FROM user WHERE id = $parent.team.lead)[0] AS lead FROM post LIMIT 3" }], teamSteps);
    expect(disagreements(checks)).toEqual([]);
    // SurrealDB's answers, as the issue reports them.
    expect(checks.find((c) => c.step === 4)!.surrealdb).toEqual(["post:3 v1", "user:2 v1"]);
    expect(checks.find((c) => c.step === 5)!.surrealdb).toEqual(["post:3 v1", "user:3 v1"]);
  });

  it("re-evaluates them under WHERE + ORDER BY + LIMIT", async () => {
    const checks = await replaySteps(
      oracle,
      TABLES,
      [{ id: "same", surql: "SELECT *, (SELECT * FROM user WHERE n = $parent.team.n) AS same FROM post WHERE n > 0 ORDER BY n LIMIT 3" }],
      teamSteps,
    );
    expect(disagreements(checks)).toEqual([]);
    expect(checks.find((c) => c.step === 4)!.surrealdb).toEqual(["post:3 v1", "user:2 v1"]);
    expect(checks.find((c) => c.step === 5)!.surrealdb).toEqual(["post:3 v1", "user:3 v1"]);
  });

  it("follows two hops when the intermediate record is created after the row", async () => {
    const steps = [
      create("user:1", { n: 1 }),
      create("comment:1", { post: link("post:1") }),
      create("post:1", { author: link("user:1") }),
      update("post:1", { author: link("user:2") }),
      create("user:2", { n: 2 }),
      remove("post:1"),
    ] as ReplayStep[];
    const checks = await replaySteps(
      oracle,
      TABLES,
      [
        { id: "limit", surql: "SELECT *, (SELECT * FROM user WHERE id = $parent.post.author) AS author FROM comment LIMIT 2" },
        { id: "ordered", surql: "SELECT *, (SELECT * FROM user WHERE id = $parent.post.author)[0] AS author FROM comment ORDER BY n START 0 LIMIT 2" },
      ],
      steps,
    );
    expect(disagreements(checks)).toEqual([]);
    expect(checks.find((c) => c.step === 2 && c.view === "limit")!.surrealdb).toEqual(["comment:1 v1", "user:1 v1"]);
  });

  it("reads $parent paths from the row as it is now, after a change that left their values alone", async () => {
    // post:2's team moves from user:3 to team:1, both with n = 1: the subquery's
    // result is the same, but it must now read team:1, not user:3.
    const steps = [
      create("user:3", { n: 1 }),
      create("team:1", { n: 1 }),
      create("post:2", { n: 2, team: link("user:3") }),
      update("post:2", { n: 2, team: link("team:1") }),
      update("user:3", { n: 2 }),
      update("team:1", { n: 2 }),
      update("team:1", { n: 3 }),
    ] as ReplayStep[];
    const checks = await replaySteps(
      oracle,
      TABLES,
      [
        { id: "plain", surql: "SELECT *, (SELECT * FROM user WHERE n = $parent.team.n) AS same FROM post" },
        { id: "window", surql: "SELECT *, (SELECT * FROM user WHERE n = $parent.team.n) AS same FROM post WHERE n > 0 ORDER BY n LIMIT 2" },
        { id: "range", surql: "SELECT *, (SELECT * FROM user WHERE n >= $parent.team.n) AS above FROM post" },
      ],
      steps,
    );
    expect(disagreements(checks)).toEqual([]);
    expect(checks.find((c) => c.step === 4 && c.view === "plain")!.surrealdb).toEqual(["post:2 v2"]);
  });

  it("re-evaluates a row that moves in its own window and whose $parent path read itself through a link", async () => {
    // Fuzz seed -1866662986 (sequence 7846): user:2 links to itself, so `$parent.author.thread`
    // read thread:3 through user:2 as it was. The update drops `author` and moves user:2 in
    // `ORDER BY links` (NONE → []), within the window a START without LIMIT keeps per instance
    // (top-k.ts): the subquery must compare the path as it read before the change, not as the
    // stored row reads it now (NONE on both sides), and so let thread:3 go.
    const steps = [
      create("user:1", { n: 0 }),
      create("user:0", { n: 0 }),
      create("user:2", { n: 0, author: link("user:2"), thread: link("thread:3") }),
      create("user:a", { links: [link("message:1")] }),
      create("thread:3", { n: 0 }),
      update("user:2", { links: [] }),
    ] as ReplayStep[];
    const checks = await replaySteps(
      oracle,
      ["user", "thread", "message"],
      [
        { id: "start", surql: "SELECT *, (SELECT * FROM thread WHERE $parent.author.thread = id) AS rows FROM user ORDER BY links ASC START 2" },
        { id: "window", surql: "SELECT *, (SELECT * FROM thread WHERE $parent.author.thread = id) AS rows FROM user ORDER BY links LIMIT 3" },
      ],
      steps,
    );
    expect(disagreements(checks)).toEqual([]);
    expect(checks.find((c) => c.step === 5 && c.view === "start")!.delta).toEqual(["DELETED thread:3 v1", "UPDATED user:2 v2"]);
  });
});
