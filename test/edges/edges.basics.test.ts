import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { member, openTestStore, readEdges, readViews, rid, spec, viewDelta, type TestStore } from "./fixtures.js";

describe("edge store basics", () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it("writes metadata and one edge per member on registration", async () => {
    const status = await t.store.applyRegister(spec("v1"), [member(rid("thread", 1)), member(rid("user", "alice"), 3)]);
    expect(status).toBe("committed");
    expect(await readViews(t.connection)).toEqual([{ viewId: "v1", clientId: "client-a", surrealQL: "SELECT * FROM thread" }]);
    expect(await readEdges(t.connection)).toEqual([
      { viewId: "v1", record: '["thread",1]', version: 1, clientId: "client-a" },
      { viewId: "v1", record: '["user","alice"]', version: 3, clientId: "client-a" },
    ]);
  });

  it("relates on CREATED, sets the version on UPDATED, removes on DELETED", async () => {
    await t.store.applyRegister(spec("v1"), []);
    await t.store.applyIngest([viewDelta("v1", "client-a", [["CREATED", rid("thread", 1), 1], ["CREATED", rid("thread", 2), 1]])]);
    await t.store.applyIngest([viewDelta("v1", "client-a", [["UPDATED", rid("thread", 1), 2], ["DELETED", rid("thread", 2), 1]])]);
    expect(await readEdges(t.connection)).toEqual([{ viewId: "v1", record: '["thread",1]', version: 2, clientId: "client-a" }]);
  });

  it("writing the same CREATED twice leaves one edge", async () => {
    const created = viewDelta("v1", "client-a", [["CREATED", rid("thread", 1), 1]]);
    await t.store.applyIngest([created]);
    await t.store.applyIngest([created]);
    expect(await readEdges(t.connection)).toHaveLength(1);
  });

  it("keeps the integer key user:1 and the string key user:⟨1⟩ apart", async () => {
    await t.store.applyIngest([viewDelta("v1", "c", [["CREATED", rid("user", 1), 1], ["CREATED", rid("user", "1"), 4]])]);
    expect((await readEdges(t.connection)).map((e) => [e.record, e.version])).toEqual([
      ['["user",1]', 1],
      ['["user","1"]', 4],
    ]);
  });

  it("answers committed at once when an ingest changed no view", async () => {
    expect(await t.store.applyIngest([])).toBe("committed");
    expect(t.db.roundTrips).toBe(0);
  });

  it("re-registration with the replaced delta writes the difference and the new clientId", async () => {
    await t.store.applyRegister(spec("v1"), [member(rid("thread", 1)), member(rid("thread", 2))]);
    const replaced = viewDelta("v1", "client-b", [["DELETED", rid("thread", 2), 1], ["CREATED", rid("thread", 3), 1]]);
    await t.store.applyRegister(spec("v1", { clientId: "client-b", surql: "SELECT * FROM thread WHERE x" }), [member(rid("thread", 1)), member(rid("thread", 3))], replaced);
    expect(await readEdges(t.connection)).toEqual([
      { viewId: "v1", record: '["thread",1]', version: 1, clientId: "client-b" },
      { viewId: "v1", record: '["thread",3]', version: 1, clientId: "client-b" },
    ]);
    expect(await readViews(t.connection)).toEqual([{ viewId: "v1", clientId: "client-b", surrealQL: "SELECT * FROM thread WHERE x" }]);
  });

  it("re-registration without a delta makes the edges equal to the members", async () => {
    await t.store.applyRegister(spec("v1"), [member(rid("thread", 1)), member(rid("thread", 2))]);
    await t.store.applyRegister(spec("v1"), [member(rid("thread", 2), 5), member(rid("thread", 3))]);
    expect((await readEdges(t.connection)).map((e) => [e.record, e.version])).toEqual([
      ['["thread",2]', 5],
      ['["thread",3]', 1],
    ]);
  });

  it("unregister removes exactly that view's metadata and edges", async () => {
    await t.store.applyRegister(spec("v1"), [member(rid("thread", 1))]);
    await t.store.applyRegister(spec("v2"), [member(rid("thread", 1))]);
    await t.store.applyUnregister("v1");
    expect((await readViews(t.connection)).map((v) => v.viewId)).toEqual(["v2"]);
    expect((await readEdges(t.connection)).map((e) => e.viewId)).toEqual(["v2"]);
  });

  it("reset removes SSP's records and leaves everything else", async () => {
    await t.connection.query("CREATE thread:1 SET title = 'kept'", {});
    await t.store.applyRegister(spec("v1"), [member(rid("thread", 1))]);
    await t.store.applyReset();
    expect(await readViews(t.connection)).toEqual([]);
    expect(await readEdges(t.connection)).toEqual([]);
    const [threads] = (await t.connection.query("SELECT VALUE title FROM thread", {})) as [string[]];
    expect(threads).toEqual(["kept"]);
  });

  it("stores params with record links as record ids, ttl as a duration", async () => {
    await t.store.applyRegister(spec("v1", { params: { author: { $rid: "user:⟨a b⟩" }, name: "user:1", n: 3 }, ttlMs: 1500 }), []);
    const [rows] = (await t.connection.query("SELECT VALUE [params.author = type::record('user', 'a b'), params.name, params.n, ttl = 1500ms] FROM _spooky_incantation", {})) as [unknown[][]];
    expect(rows).toEqual([[true, "user:1", 3, true]]);
  });

  it("refuses a malformed record link before writing anything", async () => {
    await expect(t.store.applyRegister(spec("v1", { params: { bad: { $rid: "no colon" } } }), [])).rejects.toThrow(/table:key/);
    expect(t.db.roundTrips).toBe(0);
  });
});
