import type { LiveMessage, Uuid } from "surrealdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { member, openTestStore, rid, spec, viewDelta, type TestStore } from "./fixtures.js";

describe("a client's LIVE SELECT on its edges", () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it("sees edge creations, version updates and deletions as they are applied, and nothing of other clients", async () => {
    const [queryId] = (await t.connection.surreal.query("LIVE SELECT * FROM _spooky_list_ref WHERE clientId = $c", { c: "alice" }).collect()) as [Uuid];
    const live = await t.connection.surreal.liveOf(queryId);
    const seen: string[] = [];
    live.subscribe((m: LiveMessage) => {
      if (m.action !== "KILLED") seen.push(`${m.action} ${String(m.value["out"])} v${String(m.value["version"])}`);
    });
    /** Notifications arrive after the write commits: poll until `n` came (or 10 s passed). */
    const waitFor = async (n: number): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (seen.length < n && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    };

    await t.store.applyRegister(spec("mine", { clientId: "alice" }), [member(rid("thread", 1))]);
    await t.store.applyRegister(spec("theirs", { clientId: "bob" }), [member(rid("thread", 1))]);
    await waitFor(1);
    expect(seen).toEqual(["CREATE thread:1 v1"]);

    await t.store.applyIngest([
      viewDelta("mine", "alice", [["UPDATED", rid("thread", 1), 2], ["CREATED", rid("thread", 2), 1]]),
      viewDelta("theirs", "bob", [["UPDATED", rid("thread", 1), 2]]),
    ]);
    await waitFor(3);
    expect(seen.slice(1).sort()).toEqual(["CREATE thread:2 v1", "UPDATE thread:1 v2"]);

    await t.store.applyIngest([viewDelta("mine", "alice", [["DELETED", rid("thread", 1), 2]])]);
    await waitFor(4);
    expect(seen[3]).toBe("DELETE thread:1 v2");

    // Re-registering the same membership writes nothing a subscriber would see.
    await t.store.applyRegister(spec("mine", { clientId: "alice" }), [member(rid("thread", 2))]);
    await t.store.applyUnregister("theirs");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen).toHaveLength(4);
    await live.kill();
  });
});
