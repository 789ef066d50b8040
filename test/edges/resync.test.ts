import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RecordId as SdkRecordId } from "surrealdb";
import { member, openTestStore, readEdges, readViews, rid, spec, type TestStore } from "./fixtures.js";

describe("resync", () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const view = (id: string, members: [number, number][], clientId = "client-a") => ({
    spec: spec(id, { clientId }),
    members: members.map(([k, v]) => member(rid("msg", k), v)),
  });

  it("repairs edges deleted, added, changed and duplicated behind SSP's back", async () => {
    await t.store.applyRegister(spec("v"), [member(rid("msg", 1)), member(rid("msg", 2)), member(rid("msg", 3))]);
    const v = new SdkRecordId("_spooky_incantation", "v");
    await t.connection.query(
      `DELETE _spooky_list_ref:['v', msg:1];
       UPDATE _spooky_list_ref:['v', msg:2] SET version = 9;
       RELATE $v->_spooky_list_ref:['v', msg:7]->msg:7 SET clientId = 'client-a', version = 1;
       DELETE _spooky_list_ref:['v', msg:3];
       RELATE $v->_spooky_list_ref->msg:3 SET clientId = 'client-a', version = 1;`,
      { v },
    );
    const result = await t.store.resyncView(view("v", [[1, 1], [2, 1], [3, 1]]));
    // msg:3's stray edge (random id) is replaced by the deterministic one.
    expect(result).toEqual({ status: "committed", added: 2, removed: 2, updated: 1, viewsRemoved: 0 });
    expect((await readEdges(t.connection)).map((e) => [e.record, e.version])).toEqual([
      ['["msg",1]', 1],
      ['["msg",2]', 1],
      ['["msg",3]', 1],
    ]);
    expect(await t.store.resyncView(view("v", [[1, 1], [2, 1], [3, 1]]))).toEqual({ status: "committed", added: 0, removed: 0, updated: 0, viewsRemoved: 0 });
  });

  it("resync of all views removes the metadata and edges of views that no longer exist", async () => {
    await t.store.applyRegister(spec("keep"), [member(rid("msg", 1))]);
    await t.store.applyRegister(spec("gone"), [member(rid("msg", 1)), member(rid("msg", 2))]);
    await t.connection.query("UPSERT _spooky_incantation:stray SET clientId = 'x', surrealQL = 'x', params = {}, ttl = 1s, lastActiveAt = time::now()", {});
    const result = await t.store.resyncAll([view("keep", [[1, 2]], "client-b"), view("new", [[5, 1]])]);
    expect(result).toEqual({ status: "committed", added: 1, removed: 2, updated: 1, viewsRemoved: 2 });
    expect((await readViews(t.connection)).map((v) => [v.viewId, v.clientId])).toEqual([
      ["keep", "client-b"],
      ["new", "client-a"],
    ]);
    expect(await readEdges(t.connection)).toEqual([
      { viewId: "keep", record: '["msg",1]', version: 2, clientId: "client-b" },
      { viewId: "new", record: '["msg",5]', version: 1, clientId: "client-a" },
    ]);
  });

  it("a full resync waiting in the outbox supersedes what is queued before it", async () => {
    await t.store.applyRegister(spec("v"), [member(rid("msg", 1))]);
    t.db.failing = true;
    await t.store.applyRegister(spec("w"), [member(rid("msg", 2))]);
    await t.store.applyUnregister("v");
    const pending = await t.store.resyncAll([view("v", [[1, 3]])]);
    expect(pending.status).toBe("pending");
    expect(t.store.pending()).toBe(3);
    t.db.failing = false;
    await t.store.drained();
    expect((await readEdges(t.connection)).map((e) => [e.viewId, e.record, e.version])).toEqual([["v", '["msg",1]', 3]]);
  });
});
