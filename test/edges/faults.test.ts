/**
 * SurrealDB failing: writes go to the durable outbox, in order, and converge once
 * it is back — across injected faults, a timeout, a real close of the embedded
 * engine, and a restart with a non-empty outbox.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openConnection, openTestStore, prepareSurrealKv, readEdges, removeDir, rid, spec, tempDir, viewDelta, type TestStore } from "./fixtures.js";

/** Ops on view "v": record i is created with version 1, then updated to 2, and every third is deleted. */
function script(t: TestStore, from: number, to: number): Promise<string>[] {
  const writes: Promise<string>[] = [];
  for (let i = from; i < to; i++) {
    writes.push(t.store.applyIngest([viewDelta("v", "c", [["CREATED", rid("msg", i), 1]])]));
    writes.push(t.store.applyIngest([viewDelta("v", "c", [["UPDATED", rid("msg", i), 2]])]));
    if (i % 3 === 0) writes.push(t.store.applyIngest([viewDelta("v", "c", [["DELETED", rid("msg", i), 2]])]));
  }
  return writes;
}

function expected(to: number): string[] {
  return Array.from({ length: to }, (_, i) => i)
    .filter((i) => i % 3 !== 0)
    .map((i) => `["msg",${i}]@2`)
    .sort();
}

async function edgeSummary(t: TestStore): Promise<string[]> {
  return (await readEdges(t.connection)).map((e) => `${e.record}@${e.version}`).sort();
}

describe("edge writes when SurrealDB fails", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const track = (t: TestStore): TestStore => {
    cleanups.push(t.cleanup);
    return t;
  };

  it("keeps failed writes in the outbox, answers pending, and converges when the database returns", async () => {
    const t = track(await openTestStore());
    await t.store.applyRegister(spec("v", { clientId: "c" }), []);
    const first = await Promise.all(script(t, 0, 10));
    expect(first.every((s) => s === "committed")).toBe(true);

    t.db.failing = true;
    const during = await Promise.all(script(t, 10, 30));
    expect(during.every((s) => s === "pending")).toBe(true);
    expect(t.store.pending()).toBe(during.length);
    expect(await t.store.isReachable()).toBe(false);

    t.db.failing = false;
    const after = script(t, 30, 40);
    await Promise.all(after);
    await t.store.drained();
    expect(t.store.pending()).toBe(0);
    expect(await edgeSummary(t)).toEqual(expected(40));
  });

  it("a short stretch of failing transactions under concurrent load loses and duplicates nothing", async () => {
    const t = track(await openTestStore());
    await t.store.applyRegister(spec("v", { clientId: "c" }), []);
    t.db.failNext = 4;
    await Promise.all(script(t, 0, 60));
    await t.store.drained();
    expect(await edgeSummary(t)).toEqual(expected(60));
  });

  it("a transaction that outlives the timeout answers pending, and still ends in order", async () => {
    const t = track(await openTestStore({ transactionTimeoutMs: 50 }));
    await t.store.applyRegister(spec("v", { clientId: "c" }), []);
    let release = (): void => {};
    t.db.gate = new Promise((resolve) => (release = resolve));
    const writes = script(t, 0, 12);
    const statuses = await Promise.all(writes);
    expect(statuses).toContain("pending");
    t.db.gate = undefined;
    release();
    await t.store.drained();
    expect(await edgeSummary(t)).toEqual(expected(12));
  });

  it("survives a real close of the embedded engine behind its back", async () => {
    const dir = await tempDir();
    cleanups.push(() => removeDir(dir));
    const url = `surrealkv://${join(dir, "db")}`;
    await prepareSurrealKv(url);
    const t = track(await openTestStore({ url }));
    await t.store.applyRegister(spec("v", { clientId: "c" }), []);
    await Promise.all(script(t, 0, 10));
    await t.connection.surreal.close();
    await Promise.all(script(t, 10, 25));
    await t.store.drained();
    expect(await edgeSummary(t)).toEqual(expected(25));
  });

  it("a new store on the same data dir drains the outbox left by the last one", async () => {
    const dir = await tempDir();
    cleanups.push(() => removeDir(dir));
    const url = `surrealkv://${join(dir, "db")}`;
    const dataDir = join(dir, "data");
    await prepareSurrealKv(url);

    const first = await openTestStore({ url, dataDir });
    await first.store.applyRegister(spec("v", { clientId: "c" }), []);
    await Promise.all(script(first, 0, 5));
    first.db.failing = true;
    const pending = await Promise.all(script(first, 5, 20));
    expect(pending.every((s) => s === "pending")).toBe(true);
    await first.store.close();
    // The embedded engine frees the path a moment after close(); reopening at once
    // would wait out a connect timeout (the connection retries, but slowly).
    await new Promise((resolve) => setTimeout(resolve, 300));

    const second = track(await openTestStore({ url, dataDir, connection: await openConnection(url) }));
    expect(second.store.pending()).toBeGreaterThan(0);
    await second.store.drained();
    expect(second.store.pending()).toBe(0);
    expect(await edgeSummary(second)).toEqual(expected(20));
  });
});
