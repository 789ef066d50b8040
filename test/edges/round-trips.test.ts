import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { member, openTestStore, readEdges, rid, spec, viewDelta, type TestStore } from "./fixtures.js";

describe("round trips", () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const counted = async (action: () => Promise<unknown>): Promise<number> => {
    const before = t.db.roundTrips;
    await action();
    return t.db.roundTrips - before;
  };

  it("one per ingest, however many views and edges it touches", async () => {
    const views = Array.from({ length: 20 }, (_, v) =>
      viewDelta(`v${v}`, "c", Array.from({ length: 50 }, (_, i) => ["CREATED", rid("msg", i), 1] as const).map(([e, id, n]) => [e, id, n])),
    );
    expect(await counted(() => t.store.applyIngest(views))).toBe(1);
    expect(await readEdges(t.connection)).toHaveLength(1000);
    expect(t.db.queries.at(-1)).toMatch(/^BEGIN TRANSACTION;[\s\S]*COMMIT TRANSACTION;$/);
  });

  it("a large batch (10,000 edges, chunked) is still one round trip", async () => {
    const deltas = Array.from({ length: 10_000 }, (_, i) => ["CREATED", rid("msg", i), 1] as const);
    expect(await counted(() => t.store.applyIngest([viewDelta("v", "c", deltas.map(([e, id, n]) => [e, id, n]))]))).toBe(1);
    expect(await readEdges(t.connection)).toHaveLength(10_000);
  });

  it("at most two per registration, even with a large membership", async () => {
    const members = Array.from({ length: 5_000 }, (_, i) => member(rid("msg", i)));
    expect(await counted(() => t.store.applyRegister(spec("big"), members))).toBeLessThanOrEqual(2);
    expect(await counted(() => t.store.applyRegister(spec("big"), members.slice(10)))).toBeLessThanOrEqual(2);
    const replaced = viewDelta("big", "client-a", [["CREATED", rid("msg", 0), 1]]);
    expect(await counted(() => t.store.applyRegister(spec("big"), members.slice(0, 1), replaced))).toBe(1);
  });

  it("one per unregister and one per reset", async () => {
    await t.store.applyRegister(spec("v1"), [member(rid("msg", 1))]);
    expect(await counted(() => t.store.applyUnregister("v1"))).toBe(1);
    expect(await counted(() => t.store.applyReset())).toBe(1);
  });

  it("group commit: concurrent ingests share transactions and keep their order", async () => {
    await t.store.applyRegister(spec("v"), []);
    const before = t.db.roundTrips;
    // Each record is created, updated twice, deleted and re-created, by separate ops
    // fired without waiting: the final state is only right if order holds.
    const writes: Promise<string>[] = [];
    for (let i = 0; i < 40; i++) {
      const id = rid("msg", i);
      writes.push(t.store.applyIngest([viewDelta("v", "c", [["CREATED", id, 1]])]));
      writes.push(t.store.applyIngest([viewDelta("v", "c", [["UPDATED", id, 2]])]));
      writes.push(t.store.applyIngest([viewDelta("v", "c", [["UPDATED", id, 3]])]));
      if (i % 2 === 0) {
        writes.push(t.store.applyIngest([viewDelta("v", "c", [["DELETED", id, 3]])]));
        if (i % 4 === 0) writes.push(t.store.applyIngest([viewDelta("v", "c", [["CREATED", id, 7]])]));
      }
    }
    expect(new Set(await Promise.all(writes))).toEqual(new Set(["committed"]));
    const transactions = t.db.roundTrips - before;
    expect(transactions).toBeLessThan(writes.length / 4);
    const edges = await readEdges(t.connection);
    const expected = Array.from({ length: 40 }, (_, i) => i)
      .filter((i) => i % 2 === 1 || i % 4 === 0)
      .map((i) => [`["msg",${i}]`, i % 4 === 0 ? 7 : 3]);
    expect(edges.map((e) => [e.record, e.version]).sort()).toEqual(expected.sort());
  });

  it("group commit keeps order across unregister and re-registration", async () => {
    const ops = [
      t.store.applyRegister(spec("v"), [member(rid("msg", 1))]),
      t.store.applyIngest([viewDelta("v", "client-a", [["CREATED", rid("msg", 2), 1]])]),
      t.store.applyUnregister("v"),
      t.store.applyIngest([viewDelta("v", "client-a", [["CREATED", rid("msg", 3), 1]])]),
      t.store.applyReset(),
      t.store.applyIngest([viewDelta("w", "client-b", [["CREATED", rid("msg", 4), 1]])]),
    ];
    await Promise.all(ops);
    expect(await readEdges(t.connection)).toEqual([{ viewId: "w", record: '["msg",4]', version: 1, clientId: "client-b" }]);
  });
});
