/**
 * A write SurrealDB refuses for good (here: a real type error injected into the
 * transaction by the wrapper around the real connection) must not block the
 * writes behind it: it is set aside, durably, the writes after it commit in
 * order, and a resync of its views repairs their edges and clears it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { isPermanentFailure } from "../../src/edges/permanent-errors.js";
import type { EdgeMetric } from "../../src/edges/types.js";
import { member, openConnection, openTestStore, readEdges, rid, spec, touchesView, viewDelta, type TestStore } from "./fixtures.js";

async function edgesOf(t: TestStore, viewId: string): Promise<string[]> {
  return (await readEdges(t.connection)).filter((e) => e.viewId === viewId).map((e) => `${e.record}@${e.version}`);
}

const created = (view: string, ...keys: number[]) => viewDelta(view, "c", keys.map((k) => ["CREATED", rid("item", k), 1] as const));

describe("a write SurrealDB refuses for good", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("is classified permanent from the real error, while a lost connection is transient", async () => {
    const t = await openTestStore();
    cleanups.push(t.cleanup);
    t.db.refuse = () => true;
    const refused = await t.db.query("BEGIN TRANSACTION;\nSELECT * FROM _spooky_list_ref LIMIT 1;\nCOMMIT TRANSACTION;", {}).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Error);
    expect(isPermanentFailure(refused)).toBe(true);
    // Not the "not executed" of the statement before it: the cause.
    expect((refused as Error).message).toContain("Couldn't coerce value for field `clientId`");
    t.db.refuse = undefined;
    t.db.failing = true;
    expect(isPermanentFailure(await t.db.query("RETURN 1", {}).catch((e: unknown) => e))).toBe(false);
    t.db.failing = false;
    await t.connection.surreal.close();
    expect(isPermanentFailure(await t.connection.surreal.query("RETURN 1").collect().catch((e: unknown) => e))).toBe(false);
  });

  it("is set aside and counted; later writes commit in order; a restart keeps it aside; resync repairs and clears it", async () => {
    const connection = await openConnection();
    cleanups.push(() => connection.close());
    const metrics: EdgeMetric[] = [];
    const t = await openTestStore({ connection, keepConnectionOpen: true, onMetric: (m) => metrics.push(m) });
    cleanups.push(t.cleanup);
    await t.store.applyRegister(spec("good", { clientId: "c" }), []);
    await t.store.applyRegister(spec("bad", { clientId: "c" }), []);

    t.db.refuse = (_text, bindings) => touchesView(bindings, "bad");
    // Enqueued together, so they are merged into one refused transaction first and
    // must be told apart by retrying them one by one.
    const statuses = await Promise.all([
      t.store.applyIngest([created("good", 1)]),
      t.store.applyIngest([created("bad", 1)]),
      t.store.applyIngest([created("good", 2)]),
      t.store.applyIngest([created("good", 3), created("bad", 3)]),
      t.store.applyIngest([viewDelta("good", "c", [["DELETED", rid("item", 1), 1]])]),
    ]);
    expect(statuses).toContain("pending");
    await t.store.drained();
    expect(t.store.pending()).toBe(0);
    expect(t.store.setAside().map((e) => [e.kind, e.views])).toEqual([
      ["ingest", ["bad"]],
      ["ingest", ["good", "bad"]],
    ]);
    expect(t.store.setAside()[0]?.reason).toContain("Couldn't coerce");
    expect(metrics.filter((m) => m.kind === "setAside")).toHaveLength(2);
    // Everything but the refused entries committed, in order (item 1 created, then deleted).
    expect(await edgesOf(t, "good")).toEqual(['["item",2]@1']);
    expect(await edgesOf(t, "bad")).toEqual([]);

    // Writes after it go straight through, with nothing waiting.
    expect(await t.store.applyIngest([created("good", 4)])).toBe("committed");

    // A restart on the same outbox: still set aside, never retried.
    await t.store.close();
    const again = await openTestStore({ connection, dataDir: t.dataDir, keepConnectionOpen: true });
    cleanups.push(again.cleanup);
    again.db.refuse = (_text, bindings) => touchesView(bindings, "bad");
    expect(again.store.setAside()).toHaveLength(2);
    expect(again.store.pending()).toBe(0);
    await again.store.drained();
    expect(again.db.refused).toBe(0);

    // While SurrealDB still refuses the view, its resync is set aside too and repairs nothing.
    const badView = { spec: spec("bad", { clientId: "c" }), members: [member(rid("item", 1)), member(rid("item", 3))] };
    expect((await again.store.resyncView(badView)).status).toBe("pending");
    await again.store.drained();
    expect(again.store.setAside().map((e) => e.kind)).toEqual(["ingest", "ingest", "resync"]);

    again.db.refuse = undefined;
    expect((await again.store.resyncView(badView)).status).toBe("committed");
    expect(again.store.setAside().map((e) => e.views)).toEqual([["good"]]);
    const goodView = { spec: spec("good", { clientId: "c" }), members: [2, 3, 4].map((k) => member(rid("item", k))) };
    const repaired = await again.store.resyncView(goodView);
    expect(repaired).toMatchObject({ status: "committed", added: 1 });
    expect(again.store.setAside()).toEqual([]);
    expect(await edgesOf(again, "good")).toEqual(['["item",2]@1', '["item",3]@1', '["item",4]@1']);
    expect(await edgesOf(again, "bad")).toEqual(['["item",1]@1', '["item",3]@1']);
  });
});
