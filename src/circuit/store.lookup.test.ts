import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RecordId } from "./record-id.js";
import { RecordStore, toRow } from "./store.js";
import { dispatchKey } from "./values/compare.js";
import type { Path } from "./values/path.js";

const CATEGORY: Path = [{ kind: "field", name: "category" }];

function put(store: RecordStore, key: number, category: string | undefined, version: number): void {
  store.put(toRow({ id: new RecordId("t", key), ...(category === undefined ? {} : { category }) }, version));
}

function looked(store: RecordStore, category: string | undefined): number[] {
  return [...store.lookup("t", CATEGORY, dispatchKey(category))].map((r) => r.id.key as number).sort((a, b) => a - b);
}

describe("store lookups by field", () => {
  it("find exactly the rows holding the value, through updates, deletes and indices dropped while idle", () => {
    const change = fc.record({ key: fc.nat(40), category: fc.option(fc.constantFrom("a", "b", "c"), { nil: undefined }), remove: fc.boolean() });
    // Runs of up to 3,000 changes between lookups: past 1,024 the index is dropped and rebuilt on the next lookup.
    const run = fc.tuple(fc.array(change, { maxLength: 3000, size: "max" }), fc.constantFrom("a", "b", "c", undefined));
    fc.assert(
      fc.property(fc.array(run, { minLength: 1, maxLength: 4 }), (runs) => {
        const store = new RecordStore();
        const held = new Map<number, string | undefined>();
        let version = 0;
        for (const [changes, asked] of runs) {
          for (const c of changes) {
            const row = store.get(new RecordId("t", c.key));
            if (c.remove) {
              if (row) store.delete(row);
              held.delete(c.key);
            } else {
              put(store, c.key, c.category, ++version);
              held.set(c.key, c.category);
            }
          }
          const expected = [...held].filter(([, cat]) => cat === asked).map(([k]) => k).sort((a, b) => a - b);
          expect(looked(store, asked)).toEqual(expected);
        }
      }),
      // Shrinking runs of thousands of changes takes minutes: report the first failing case as it is.
      { numRuns: 60, endOnFailure: true },
    );
  });
});
