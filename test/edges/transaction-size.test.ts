/**
 * A resync or registration that would put too much into one transaction (every
 * view's metadata, every edge) is committed as several bounded transactions, so
 * SurrealDB never sees one it refuses for its size.
 */
import { afterEach, describe, expect, it } from "vitest";
import { member, openTestStore, readEdges, readViews, rid, spec, type TestStore } from "./fixtures.js";

const commits = (t: TestStore): number => t.db.queries.filter((q) => q.includes("COMMIT TRANSACTION")).length;

describe("transaction size", () => {
  let t: TestStore | undefined;
  afterEach(async () => {
    await t?.cleanup();
  });

  it("splits a full resync of views with large params into transactions of bounded metadata", async () => {
    t = await openTestStore({ maxTransactionBytes: 8_000 });
    const views = Array.from({ length: 10 }, (_, i) => ({
      spec: spec(`v${i}`, { clientId: "c", params: { pad: "p".repeat(3_000) } }),
      members: [member(rid("item", i)), member(rid("item", 100))],
    }));
    const before = commits(t);
    const result = await t.store.resyncAll(views);
    expect(result).toMatchObject({ status: "committed", added: 20 });
    // About 3 KB of metadata per view and at most 8 KB per transaction: two views each.
    expect(commits(t) - before).toBeGreaterThanOrEqual(5);
    expect((await readViews(t.connection)).map((v) => v.viewId)).toEqual(views.map((v) => v.spec.id).sort());
    expect(await readEdges(t.connection)).toHaveLength(20);
  });

  it("keeps a small resync in one transaction", async () => {
    t = await openTestStore();
    const before = commits(t);
    await t.store.resyncAll([{ spec: spec("v", { clientId: "c" }), members: [member(rid("item", 1))] }]);
    expect(commits(t) - before).toBe(1);
  });
});
