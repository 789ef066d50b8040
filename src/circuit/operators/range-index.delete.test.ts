import { describe, expect, it } from "vitest";
import type { Env } from "../plan/env.js";
import { RangeIndex } from "./range-index.js";

// A bound that reads `$parent.team.n` through a link reads the store as it is
// now; by the time its instance goes (the team changed, so the parent row's
// subquery is rebuilt) it may read another value. Deleting must still find it.

describe("RangeIndex.delete", () => {
  it("removes an instance whose bound would read differently now", () => {
    const store = { n: 1 };
    const index = new RangeIndex<{ env: Env }>({ kind: "range", rowPath: [], op: "lt", rowValue: (row) => row, envBound: () => store.n });
    const inst = { env: { params: {}, parent: undefined, resolve: () => undefined } };
    index.add(inst);
    store.n = 5;
    index.delete(inst);
    expect(index.size).toBe(0);
    const out: { env: Env }[] = [];
    index.collect({ id: undefined } as never, undefined, out);
    expect(out).toEqual([]);
  });
});
