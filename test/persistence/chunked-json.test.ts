import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonChunks } from "../../src/persistence/chunked-json.js";

function joined(value: unknown, leafNodes: number, chunkChars: number): string {
  return [...jsonChunks(value, { leafNodes, chunkChars })].join("");
}

describe("jsonChunks", () => {
  it("produces exactly JSON.stringify for any JSON value, however finely it splits", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 64 }), (value, leaf, chunk) => {
        expect(joined(value, leaf, chunk)).toBe(JSON.stringify(value));
      }),
      { numRuns: 300 },
    );
  });

  it("matches JSON.stringify on values JSON handles specially (undefined, toJSON, holes, Map)", () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBoxedValues: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withNullPrototype: true,
          withSparseArray: true,
          withTypedArray: true,
          withObjectString: true,
        }),
        fc.integer({ min: 1, max: 4 }),
        (value, leaf) => {
          const expected = JSON.stringify(value) as string | undefined;
          if (expected === undefined) expect(() => joined(value, leaf, 16)).toThrow(TypeError);
          else expect(joined(value, leaf, 16)).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("walks a large state in chunks of about the requested size", () => {
    const state = { records: Array.from({ length: 5000 }, (_, i) => ({ id: `t:${i}`, body: { n: i, s: "x".repeat(50) } })) };
    const chunks = [...jsonChunks(state, { chunkChars: 4096 })];
    expect(chunks.join("")).toBe(JSON.stringify(state));
    expect(chunks.length).toBeGreaterThan(50);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.length).toBeLessThan(4096 + 1024);
  });

  it("rejects cycles, as JSON.stringify does", () => {
    const cyclic: { items: unknown[] } = { items: Array.from({ length: 100 }, (_, i) => i) };
    cyclic.items.push(cyclic);
    expect(() => joined(cyclic, 4, 64)).toThrow(TypeError);
  });

  it("rejects BigInt, as JSON.stringify does", () => {
    expect(() => joined({ big: 1n, rest: Array.from({ length: 50 }, (_, i) => i) }, 4, 64)).toThrow(TypeError);
  });
});
