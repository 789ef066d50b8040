/**
 * Hostile text everywhere a caller controls it (view ids, client ids, record
 * tables and keys, SurrealQL text, params): it must land as data in its own
 * records and change nothing else.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { member, openTestStore, readEdges, readViews, recordText, rid, spec, viewDelta, type TestStore } from "./fixtures.js";

const HOSTILE = [
  "'; DELETE _spooky_list_ref; --",
  '"; REMOVE TABLE bystander; "',
  "⟩; DELETE bystander; ⟨",
  "`; DELETE bystander; `",
  "x⟩->_spooky_list_ref->bystander:1",
  "SELECT * FROM bystander",
  "$p0",
  "NONE",
  "a\\⟩b",
  "\u0000",
];

describe("injection", () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it("hostile ids, tables, text and params change nothing but their own records", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...HOSTILE),
        fc.constantFrom(...HOSTILE),
        fc.constantFrom(...HOSTILE),
        fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ minLength: 1 })),
        async (viewId, table, key, text) => {
          await t.store.applyReset();
          await t.connection.query("DEFINE TABLE IF NOT EXISTS bystander; DELETE bystander; CREATE bystander:1 SET n = 1;", {});
          const hostileSpec = spec(viewId, { clientId: text, surql: text, params: { [text]: text, link: { $rid: "user:⟨⟩; x⟩" } } });
          const status = await t.store.applyRegister(hostileSpec, [member(rid(table, key)), member(rid("t", text))]);
          expect(status).toBe("committed");
          await t.store.applyIngest([viewDelta(viewId, text, [["UPDATED", rid(table, key), 2]])]);

          expect(await readViews(t.connection)).toEqual([{ viewId, clientId: text, surrealQL: text }]);
          const edges = await readEdges(t.connection);
          const expected = [
            { viewId, record: recordText(rid(table, key)), version: 2, clientId: text },
            { viewId, record: recordText(rid("t", text)), version: 1, clientId: text },
          ];
          // When the two members are the same record, there is one edge.
          const unique = [...new Map(expected.map((e) => [e.record, e])).values()];
          expect(edges.sort((a, b) => a.record.localeCompare(b.record))).toEqual(unique.sort((a, b) => a.record.localeCompare(b.record)));
          const [bystanders] = (await t.connection.query("SELECT VALUE n FROM bystander", {})) as [number[]];
          expect(bystanders).toEqual([1]);

          await t.store.applyUnregister(viewId);
          expect(await readEdges(t.connection)).toEqual([]);
          expect(await readViews(t.connection)).toEqual([]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("no caller value appears in the query text", async () => {
    const before = t.db.queries.length;
    const marker = "⟩`'\";MARKER";
    await t.store.applyRegister(spec(marker, { clientId: marker, surql: marker, params: { a: marker } }), [member(rid(marker, marker))]);
    await t.store.applyIngest([viewDelta(marker, marker, [["UPDATED", rid(marker, marker), 2]])]);
    await t.store.applyUnregister(marker);
    const texts = t.db.queries.slice(before);
    expect(texts.length).toBeGreaterThan(0);
    for (const text of texts) expect(text).not.toContain("MARKER");
  });
});
